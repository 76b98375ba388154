// How Express and Fastify carry a request through the adapter kit: the kit's binding (read the request, write
// cookies, set `auth`) and how an answer is written. latchkey/express and latchkey/fastify use them, and so does
// latchkey/nestjs, which runs on either platform. Framework imports are types only: nothing here loads a framework.
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';
import type { Auth } from '../core/auth-api.js';
import type { RequireAuthOptions } from '../http/answers.js';
import { adapterKit, type AdapterKit, type Answer, type Binding, type Step } from '../http/kit.js';
import { settledValue } from '../lib/settled.js';

/** One platform's mapping onto the kit: its binding, and how an answer (or only its headers) is written. */
export interface Platform<C, Sent = void> {
  readonly binding: Binding<C>;
  /** Sets headers on the response being built, without sending it. */
  headers(carrier: C, headers: Record<string, string>): void;
  /** Writes the whole answer: status, headers and the JSON body (`null`: none). */
  send(carrier: C, answer: Answer): Sent;
}

// The carrier is `res` (Express links it to its request as `res.req`): cookies go where the app sends from.
// The resolve-once slot lives on `res.locals`, the per-request object Express makes anyway: a property added
// to `res` itself changes the shape Node's response code sees, which costs time on every request (bench/RESULTS.md).
/** Express (4 and 5): the carrier is `res`. */
export const expressPlatform: Platform<Response> = {
  binding: {
    request: (res) => ({ method: res.req.method, headers: res.req.headers }),
    currentCookies: (res) => res.getHeader('set-cookie'),
    appendCookies: (res, lines) => void res.append('Set-Cookie', [...lines]),
    setAuth: (res, auth) => void (res.req.auth = auth),
    ip: (res) => res.req.ip,
    slot: (res) => (res.locals as object | undefined) ?? res,
    body: (res) => (res.req as { body?: unknown }).body, // set by express.json() when the app mounts it
  },
  headers: (res, headers) => void res.set(headers),
  send(res, answer) {
    res.status(answer.status).set(answer.headers);
    if (answer.body === null) res.end();
    else res.json(answer.body);
  },
};

// The carrier is the reply (`reply.request` is its request); the resolve-once slot lives on the request.
/** Fastify 5: the carrier is the reply. */
export const fastifyPlatform: Platform<FastifyReply, FastifyReply> = {
  binding: {
    request: (reply) => ({ method: reply.request.method, headers: reply.request.headers }),
    currentCookies: (reply) => reply.getHeader('set-cookie'),
    appendCookies: (reply, lines) => lines.forEach((line) => reply.header('set-cookie', line)),
    setAuth: (reply, auth) => void (reply.request.auth = auth),
    ip: (reply) => reply.request.ip,
    slot: (reply) => reply.request,
    body: (reply) => reply.request.body, // Fastify parses JSON bodies itself
  },
  headers: (reply, headers) => void reply.headers(headers),
  send(reply, answer) {
    reply.code(answer.status).headers(answer.headers);
    return answer.body === null ? reply.send() : reply.send(answer.body);
  },
};

/** Either platform's response: Express's `res` or the Fastify reply (what NestJS hands a controller as `@Res()`). */
export type NodeResponse = Response | FastifyReply;

const PLATFORMS: Record<string, Platform<NodeResponse, unknown>> = { express: expressPlatform, fastify: fastifyPlatform };

/** The kit over a platform chosen at run time by name, for an adapter that runs on either (NestJS). */
export interface PlatformKit<Tokens extends boolean> {
  readonly platform: Platform<NodeResponse, unknown>;
  readonly kit: AdapterKit<NodeResponse, Tokens>;
  /** The `requireAuth` step for these (checked) options, made once per options object. */
  step(options: RequireAuthOptions): Step<NodeResponse>;
  /** Authenticates the request, then applies `route` (`false`: open to all): `null` when admitted at once, else a promise of `null` or the refusal (its headers and cookies set on the response). */
  guard(carrier: NodeResponse, route: RequireAuthOptions | false): Promise<Answer | null> | null;
  /** The answer to an error a route threw, its cookies and headers already on the response (not sent); any other error is rethrown. */
  refusal(carrier: NodeResponse, error: unknown): Answer;
}

/**
 * The kit over the platform named `name` ('express' or 'fastify'); any other name is a TypeError that says so.
 * @example
 * const { kit, platform } = platformKit(auth, httpAdapter.getType());
 */
export function platformKit<Tokens extends boolean>(auth: Auth<Tokens>, name: string): PlatformKit<Tokens> {
  const platform = PLATFORMS[name];
  if (!platform) throw new TypeError(`latchkey/nestjs runs on @nestjs/platform-express or @nestjs/platform-fastify, not on "${name}".`);
  const kit = adapterKit(auth, platform.binding);
  const steps = new WeakMap<RequireAuthOptions, Step<NodeResponse>>();
  const step = (options: RequireAuthOptions): Step<NodeResponse> => steps.get(options) ?? steps.set(options, kit.requireAuth(options)).get(options)!;
  return {
    platform,
    kit,
    step,
    // promise chains, not async functions: a request admitted at once costs no promise turn, as on the other adapters
    guard: (carrier, route) => {
      const first = kit.authenticate(carrier);
      const decided = route === false ? first : settledValue(first) === null ? step(route)(carrier) : first.then((answer) => answer ?? step(route)(carrier));
      if (settledValue(decided) === null) return null;
      return decided.then((answer) => {
        if (answer) platform.headers(carrier, answer.headers);
        return answer;
      });
    },
    refusal: (carrier, error) => {
      const answer = kit.answer(carrier, error);
      platform.headers(carrier, answer.headers);
      return answer;
    },
  };
}

/**
 * `platformKit` made at its first use, on the platform `name()` says then (a Nest testing module compiles before it
 * has a platform).
 * @example
 * const kitOf = lazyPlatformKit(auth, () => host.httpAdapter?.getType());
 */
export function lazyPlatformKit<Tokens extends boolean>(auth: Auth<Tokens>, name: () => string | undefined): () => PlatformKit<Tokens> {
  let made: PlatformKit<Tokens> | undefined;
  return () => (made ??= platformKit(auth, String(name())));
}
