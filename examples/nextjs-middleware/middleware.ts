// Next.js middleware for a service that only checks access tokens: requests to /api/* need a valid latchkey
// access token, verified against the issuer's JWKS with Web APIs only (it runs on the Edge runtime; with Next.js 16,
// save it as proxy.ts and name the function `proxy`). The route handlers behind it read the user id from the
// `x-user-id` request header this sets (a client cannot send its own: it is always overwritten).
// Tested by test/verify/nextjs-middleware.test.ts; docs/resource-servers.md explains the choices.
import { NextResponse, type NextRequest } from 'next/server';
import { authErrorResponse, createVerifier } from 'latchkey/verify';

const verifier = createVerifier({
  issuer: process.env.LATCHKEY_ISSUER ?? 'https://api.example.com',
  audience: process.env.LATCHKEY_AUDIENCE ?? 'web',
  jwks: new URL(process.env.LATCHKEY_JWKS_URL ?? 'https://api.example.com/.well-known/jwks.json'),
});

export async function middleware(request: NextRequest): Promise<Response> {
  try {
    const claims = await verifier.verify(request);
    const headers = new Headers(request.headers);
    headers.set('x-user-id', claims.sub);
    return NextResponse.next({ request: { headers } });
  } catch (error) {
    return authErrorResponse(error); // 401 with WWW-Authenticate (503 if the JWKS is unreachable); rethrows a bug
  }
}

export const config = { matcher: '/api/:path*' };
