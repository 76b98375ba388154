// latchkey/nestjs: a global guard over the adapter kit, on Nest's Express or Fastify platform (./platforms.ts). A refusal is
// the kit's answer: its headers and cookies go on the response, then a LatchkeyException (an HttpException) carries the
// status and JSON body to Nest's exception layer. No decorator syntax and no emitDecoratorMetadata: providers are factories.
import { Catch, createParamDecorator, HttpException, SetMetadata, type ArgumentsHost, type CanActivate, type DynamicModule, type ExecutionContext, type ExceptionFilter } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, HttpAdapterHost, Reflector } from '@nestjs/core';
import type { Auth as LatchkeyAuth, SignInInput, SignInResult } from '../core/auth-api.js';
import { AuthError } from '../core/errors.js';
import type { AuthContext, RegisteredTokens } from '../core/types.js';
import { defaultRequireAuth, requireAuthOptions, type RequireAuthOptions } from '../http/answers.js';
import { assertAuth, type Answer } from '../http/kit.js';
import { lazyPlatformKit, type NodeResponse, type PlatformKit } from './platforms.js';

/** What Nest hands a controller as `@Res()`: the Express response or the Fastify reply. */
export type LatchkeyResponse = NodeResponse;

/** Options for `LatchkeyModule.forRoot`: the Auth, and whether routes require sign-in unless marked `@Public()`. */
export interface LatchkeyModuleOptions {
  auth: LatchkeyAuth<RegisteredTokens>;
  /** `true` (or requireAuth options): every route answers as `@RequireAuth()` does unless marked `@Public()`. Default `false`. */
  requireAuth?: boolean | RequireAuthOptions;
}

const ROUTE = 'latchkey:route';

/** Route or controller decorator: 401 when nobody is signed in, 403 when `check` says no, 401 when older than `maxAge`. */
export const RequireAuth = (options: RequireAuthOptions = {}): ClassDecorator & MethodDecorator => SetMetadata(ROUTE, requireAuthOptions(options));
/** Route or controller decorator: no sign-in required, under `forRoot({ requireAuth: true })` (`@Auth()` still reads who is signed in). */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(ROUTE, false);
/** Parameter decorator: the request's AuthContext, or `null` when nobody is signed in. */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext): AuthContext | null => context.switchToHttp().getRequest<{ auth?: AuthContext | null }>().auth ?? null);

/** A refusal (401, 403, 503): an HttpException whose response is latchkey's JSON body; its headers and cookies are already on the response. */
export class LatchkeyException extends HttpException {
  constructor(readonly answer: Answer) {
    super(answer.body as Record<string, unknown>, answer.status);
  }
}

const kits = new WeakMap<LatchkeyService, () => PlatformKit<RegisteredTokens>>();
const kitOf = (service: LatchkeyService): PlatformKit<RegisteredTokens> => kits.get(service)!();

/** The verbs for controllers, on the response Nest hands out (`@Res()`): Express's `res` or the Fastify reply. */
export class LatchkeyService {
  constructor(readonly auth: LatchkeyAuth<RegisteredTokens>, host: HttpAdapterHost) {
    kits.set(this, lazyPlatformKit(auth, () => host.httpAdapter?.getType())); // made at the first request
  }
  /**
   * Signs a user in (CSRF-checked), sets its cookies on `res`, returns the core's result; use `@Res({ passthrough: true })`.
   * A refusal (403 cross-site, 503 store down) is thrown as a LatchkeyException, Nest's own HttpException, with its headers set.
   */
  signIn(res: LatchkeyResponse, input: SignInInput): Promise<SignInResult<RegisteredTokens>> {
    const { kit, refusal } = kitOf(this);
    return kit.signIn(res, input).catch((error: unknown) => {
      throw new LatchkeyException(refusal(res, error));
    });
  }
  /** Answers the refresh route: 200 `{ accessToken, expiresIn }` with the rotated cookie, or the error; use `@Res()`. */
  async refresh(res: LatchkeyResponse): Promise<void> {
    kitOf(this).platform.send(res, await kitOf(this).kit.refresh(res));
  }
  /** Answers the sign-out route: 204 with both cookies cleared, or the error; use `@Res()`. */
  async signOut(res: LatchkeyResponse): Promise<void> {
    kitOf(this).platform.send(res, await kitOf(this).kit.signOut(res));
  }
  /** Ends the request's session and sets the clearing cookies without answering (a form that redirects next). */
  endSession(res: LatchkeyResponse): Promise<{ sessionId: string | null }> {
    return kitOf(this).kit.endSession(res);
  }
  /** Adds Set-Cookie lines to `res` (e.g. from `auth.reauthenticate`), skipping lines it already has. */
  setCookies(res: LatchkeyResponse, lines: readonly string[]): void {
    kitOf(this).kit.appendCookies(res, lines);
  }
}

/** The global guard: authenticates every HTTP request into `req.auth`, then applies the route's `@RequireAuth` / `@Public`. */
class LatchkeyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly latchkey: LatchkeyService, private readonly fallback: RequireAuthOptions | false) {}
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const route = this.reflector.getAllAndOverride<RequireAuthOptions | false | undefined>(ROUTE, [context.getHandler(), context.getClass()]) ?? this.fallback;
    const res = context.switchToHttp().getResponse<LatchkeyResponse>();
    const pending = kitOf(this.latchkey).guard(res, route); // null: admitted at once, no promise turn before the route
    return pending === null ? true : pending.then((answer) => {
      if (answer === null) return true;
      throw new LatchkeyException(answer); // its headers and cookies are on the response already
    });
  }
}

/** Answers an AuthError thrown in a controller (a cross-site sign-in: 403; the store down: 503) as every adapter does, not as a 500. */
class AuthErrorFilter implements ExceptionFilter<AuthError> {
  constructor(private readonly latchkey: LatchkeyService) {}
  catch(error: AuthError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const res = host.switchToHttp().getResponse<LatchkeyResponse>();
    const { kit, platform } = kitOf(this.latchkey);
    platform.send(res, kit.answer(res, error));
  }
}
Catch(AuthError)(AuthErrorFilter);

/** The Nest module: `imports: [LatchkeyModule.forRoot({ auth })]` registers the guard and the AuthError filter globally and provides `LatchkeyService`. */
export class LatchkeyModule {
  /** The module for one Auth; `requireAuth: true` makes sign-in the default, `@Public()` the exception. */
  static forRoot(options: LatchkeyModuleOptions): DynamicModule {
    const { auth, requireAuth = false } = options ?? {};
    assertAuth(auth, 'LatchkeyModule.forRoot needs an Auth, e.g. LatchkeyModule.forRoot({ auth: createAuth(options) }).');
    const fallback = defaultRequireAuth(requireAuth, 'forRoot');
    return {
      module: LatchkeyModule,
      global: true,
      providers: [
        { provide: LatchkeyService, useFactory: (host: HttpAdapterHost) => new LatchkeyService(auth, host), inject: [HttpAdapterHost] },
        { provide: APP_GUARD, useFactory: (reflector: Reflector, service: LatchkeyService) => new LatchkeyGuard(reflector, service, fallback), inject: [Reflector, LatchkeyService] },
        { provide: APP_FILTER, useFactory: (service: LatchkeyService) => new AuthErrorFilter(service), inject: [LatchkeyService] },
      ],
      exports: [LatchkeyService],
    };
  }
}
