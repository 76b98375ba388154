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

/** The largest JSON body `readJSONBody` reads: a refresh token is ~70 characters. */
const MAX_BODY = 4096;

/**
 * A Request's JSON body, for the refresh and sign-out routes of Web-standard adapters: `undefined` unless the
 * content type is JSON, and for a body that is empty, over 4 KB or malformed (the route then answers 401, never 500).
 * @example
 * const binding = { ..., body: (request) => readJSONBody(request) };
 */
export async function readJSONBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type) || request.body === null || request.bodyUsed) return undefined;
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
  try {
    return JSON.parse(text + decoder.decode()) as unknown;
  } catch {
    return undefined;
  }
}
