// latchkey/verify restates three pieces of the core that live in modules it cannot load (they import node:crypto):
// the Bearer header parsing, the token check and the 401 answer. Each is held here to the core's own answers.
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ERROR_STATUS, type AuthErrorCode } from '../../src/entries/index.js';
import { errorResponse } from '../../src/entries/adapter.js';
import { authErrorResponse, createVerifier, wwwAuthenticate, type Verifier } from '../../src/entries/verify.js';
import { bearerToken } from '../../src/flows/authenticate.js';
import { bearerOf } from '../../src/verify/bearer.js';
import { tokenAttacks, type Attack } from '../security/token-attacks.js';
import { AUDIENCE, ISSUER, codeOf, issuer, serveJWKS, type Issuer } from './support.js';

describe('the token check, against the core on the attack suite', () => {
  let iss: Issuer;
  let attacks: Attack[];
  let verifiers: [string, Verifier][];
  let genuine: string;

  beforeAll(async () => {
    iss = await issuer();
    const { accessToken, session } = await iss.auth.signIn({ userId: '50' });
    genuine = accessToken;
    attacks = await tokenAttacks({ key: iss.key, claims: (over) => iss.claims(session.id, over), genuine });
    const jwks = await serveJWKS(iss.auth);
    verifiers = [
      ['a JWKS object', createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: await iss.auth.jwks(), now: iss.clock.now })],
      ['the JWKS URL', createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwks.url, now: iss.clock.now })],
    ];
    return () => jwks.close();
  });

  it('every forgery the core refuses, the verifier refuses with the same code; the genuine token passes both', async () => {
    expect(attacks.length).toBeGreaterThan(50);
    const request = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });
    for (const [name, verifier] of verifiers) {
      expect(await codeOf(verifier.verify(request(genuine)))).toBe('ok');
      for (const attack of attacks) {
        const core = await codeOf(iss.auth.authenticate(request(attack.token)));
        const verified = await codeOf(verifier.verify(request(attack.token)));
        expect(core, attack.label).not.toBe('ok');
        expect(verified, `${name}: ${attack.group} / ${attack.label}`).toBe(core);
        if (attack.code) expect(verified).toBe(attack.code);
      }
    }
  });
});

describe('the Bearer header, against the core', () => {
  it('reads the same token (or none) from every header value the core reads', () => {
    const values = [undefined, '', ' ', 'Bearer', 'bearer', 'BEARER x', 'Bearer x', 'Bearer  x ', 'Bearer\tx', '  Bearer x', 'Bearerx', 'Bearer\nx', 'Basic x', 'Bear x', 'Bearer x y', ['Bearer a', 'Bearer b'], ['Bearer a'], 42, null];
    for (const value of values) {
      for (const headers of [{ authorization: value }, typeof value === 'string' && !value.includes('\n') ? new Headers({ authorization: value }) : {}]) {
        const request = { method: 'GET', headers } as never;
        expect(bearerOf(request), JSON.stringify(value)).toBe(bearerToken(request));
      }
    }
  });
});

describe('the 401 answer, against the core adapters\' errorResponse', () => {
  it('sends the same status, WWW-Authenticate, Retry-After and body for every code', async () => {
    const codes = Object.keys(ERROR_STATUS) as AuthErrorCode[];
    for (const code of codes) {
      const error = new AuthError(code, undefined, code === 'reauthentication_required' ? { maxAge: 300 } : {});
      const core = errorResponse(error);
      const response = authErrorResponse(error);
      expect(response.status, code).toBe(core.status);
      expect(response.headers.get('www-authenticate') ?? undefined, code).toBe(core.headers['www-authenticate']);
      expect(wwwAuthenticate(error), code).toBe(core.headers['www-authenticate']);
      expect(response.headers.get('retry-after') ?? undefined, code).toBe(core.headers['retry-after']);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual(core.body);
    }
  });

  it('quotes a configured realm as an RFC 9110 quoted-string and refuses one that could split the header', () => {
    const error = new AuthError('token_invalid');
    expect(wwwAuthenticate(error, { realm: 'api "v2" \\ east' })).toBe('Bearer realm="api \\"v2\\" \\\\ east", error="invalid_token", error_description="token_invalid"');
    expect(wwwAuthenticate(new AuthError('credentials_missing'), { realm: 'r' })).toBe('Bearer realm="r"');
    for (const realm of ['a\r\nSet-Cookie: x=1', 'a\u0000', 'café ☕']) expect(() => wwwAuthenticate(error, { realm })).toThrow(/printable Latin-1/);
  });

  it('throws anything that is not an AuthError again: a bug is never answered as a 401', () => {
    const bug = new TypeError('boom');
    expect(() => authErrorResponse(bug)).toThrow(bug);
  });
});
