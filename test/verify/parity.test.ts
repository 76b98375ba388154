// latchkey/verify and the core share one copy of four rules, in node-free core modules both import: the Bearer header
// (core/bearer-header.ts), the access-token claim rules (core/access-claims.ts), the 401 answer (core/error-answer.ts)
// and the key -> algorithm rule (core/key-algorithm.ts). The first test holds the sources to that; the others hold
// the verifier's answers to the core's, which would catch a copy creeping back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ERROR_STATUS, type AuthErrorCode } from '../../src/entries/index.js';
import { errorResponse } from '../../src/entries/adapter.js';
import { authErrorResponse, createVerifier, wwwAuthenticate, type Verifier } from '../../src/entries/verify.js';
import { bearerToken } from '../../src/core/bearer-header.js';
import { bearerOf } from '../../src/verify/bearer.js';
import { tokenAttacks, type Attack } from '../security/token-attacks.js';
import { AUDIENCE, ISSUER, codeOf, issuer, serveJWKS, type Issuer } from './support.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const sourceOf = (dir: string): [string, string][] => readdirSync(join(SRC, dir)).filter((file) => file.endsWith('.ts')).map((file) => [`${dir}/${file}`, readFileSync(join(SRC, dir, file), 'utf8')]);

describe('one copy of each rule', () => {
  const SHARED = {
    'core/bearer-header.ts': { core: ['flows/authenticate.ts', 'flows/sign-out.ts'], verify: 'verify/bearer.ts', marker: /slice\(0, 6\)\.toLowerCase\(\) !== 'bearer'/ },
    'core/access-claims.ts': { core: ['core/tokens.ts'], verify: 'verify/token.ts', marker: /requiredClaims|COMPACT_JWS = / },
    'core/error-answer.ts': { core: ['http/answers.ts'], verify: 'verify/challenge.ts', marker: /Bearer realm="?\$\{|retry-after'\]? ?[=,:] ?'1'/ },
    'core/key-algorithm.ts': { core: ['core/keys.ts'], verify: 'verify/jwk.ts', marker: /crv === 'P-256'|crv === 'Ed25519'/ },
  } as const;
  const sources = new Map([...sourceOf('core'), ...sourceOf('flows'), ...sourceOf('http'), ...sourceOf('verify')]);

  for (const [module, { core, verify, marker }] of Object.entries(SHARED)) {
    it(`${module} is imported by the core (${core.join(', ')}) and by ${verify}, imports nothing from node:, and is the only file that states its rule`, () => {
      const name = module.split('/')[1]!.replace(/\.ts$/, '.js');
      for (const importer of [...core, verify]) expect(sources.get(importer), importer).toMatch(new RegExp(`from '\\.{1,2}/(core/)?${name.replace('.', '\\.')}'`));
      expect(sources.get(module)).not.toMatch(/from 'node:|Buffer\b/);
      expect(sources.get(module)).toMatch(marker);
      const restated = [...sources].filter(([file, text]) => file !== module && marker.test(text)).map(([file]) => file);
      expect(restated).toEqual([]);
    });
  }
});

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
