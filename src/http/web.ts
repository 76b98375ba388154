// Answers for Web-standard runtimes (`Response`), shared by latchkey/fetch and latchkey/hono: the same
// bytes Express, Fastify and Koa send for the same answer.
import type { Answer } from './kit.js';

/** The media type every JSON answer carries, as Express, Fastify and Koa send it. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** An answer as Web `Response` parts: the serialised body (`null`: none), the status and the headers. */
export interface WebAnswer {
  body: string | null;
  status: number;
  headers: Record<string, string>;
}

/**
 * Serialises an answer for a `Response` (Set-Cookie lines are the caller's: they go through `Headers.append`).
 * @example
 * const { body, status, headers } = webAnswer(answer); return new Response(body, { status, headers });
 */
export function webAnswer(answer: Answer): WebAnswer {
  if (answer.body === null) return { body: null, status: answer.status, headers: answer.headers };
  return { body: JSON.stringify(answer.body), status: answer.status, headers: { ...answer.headers, 'content-type': JSON_CONTENT_TYPE } };
}
