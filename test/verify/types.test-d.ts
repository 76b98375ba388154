// latchkey/verify's public types: only needs to compile (vitest typecheck).
import type { IncomingMessage } from 'node:http';
import { describe, expectTypeOf, it } from 'vitest';
import { generateKey, memoryStore } from '../../src/entries/index.js';
import { AuthError, authErrorResponse, createVerifier, type AccessTokenClaims, type AuthErrorCode, type Verifier } from '../../src/entries/verify.js';

describe('latchkey/verify types', () => {
  it('verify takes a Request, a Headers carrier or a Node request, and resolves the access-token claims', async () => {
    const verifier = createVerifier({ issuer: 'https://api.example.com', audience: 'web', jwks: new URL('https://api.example.com/.well-known/jwks.json') });
    expectTypeOf(verifier).toEqualTypeOf<Verifier>();
    expectTypeOf(verifier.verify(new Request('https://x.example'))).toEqualTypeOf<Promise<AccessTokenClaims>>();
    expectTypeOf(verifier.verify({ headers: new Headers() }, { maxAge: '5m' })).toEqualTypeOf<Promise<AccessTokenClaims>>();
    expectTypeOf(verifier.verify({} as IncomingMessage)).toEqualTypeOf<Promise<AccessTokenClaims>>();
    const claims = await verifier.verifyToken('jwt');
    expectTypeOf(claims.sub).toEqualTypeOf<string>();
    expectTypeOf(claims.sid).toEqualTypeOf<string>();
    expectTypeOf(authErrorResponse(new AuthError('token_invalid'))).toEqualTypeOf<Response>();
    expectTypeOf(new AuthError('token_invalid').code).toEqualTypeOf<AuthErrorCode>();
  });

  it('takes keys, a JWKS object or a URL, and a store only for reading', async () => {
    createVerifier({ issuer: 'i', audience: ['a', 'b'], jwks: [await generateKey()] });
    createVerifier({ issuer: 'i', audience: 'a', jwks: { keys: [] }, store: memoryStore(), maxRevocationDelay: '2s' });
    // @ts-expect-error audience is required
    createVerifier({ issuer: 'i', jwks: 'https://x.example/jwks' });
    // @ts-expect-error durations take the Duration form
    createVerifier({ issuer: 'i', audience: 'a', jwks: 'https://x.example/jwks', jwksCooldown: '30 seconds' });
  });
});
