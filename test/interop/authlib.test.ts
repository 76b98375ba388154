// An independent RFC 9068 validator (Python Authlib's JWTBearerTokenValidator) accepts latchkey's access
// tokens given only the JWKS, for every asymmetric algorithm a new key may use; and refuses what it must.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type JSONWebKeySet, type SigningAlgorithm } from '../../src/entries/index.js';
import { authlibPython } from '../support/authlib.js';

const SCRIPT = fileURLToPath(new URL('./authlib_rfc9068.py', import.meta.url));
const ISSUER = 'https://auth.latchkey.test';
const RESOURCE = 'https://api.latchkey.test';

interface Verdict {
  ok: boolean;
  alg?: string;
  claims?: Record<string, unknown>;
  error?: string;
}

function validate(jwks: JSONWebKeySet, tokens: string[], allow: string[] = [], audience = RESOURCE): Verdict[] {
  const run = spawnSync(authlibPython!, [SCRIPT], { input: JSON.stringify({ issuer: ISSUER, audience, jwks, tokens, allow }), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`authlib harness failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Verdict[];
}

async function issued(alg: SigningAlgorithm) {
  const auth = createAuth({
    keys: [await generateKey(alg)],
    issuer: ISSUER,
    audience: RESOURCE,
    accessToken: { clientId: 'web-app', claims: () => ({ scope: 'profile orders:read' }) },
  });
  const { accessToken } = await auth.signIn({ userId: 'u-42', amr: ['pwd', 'otp'] });
  return { accessToken, jwks: await auth.jwks() };
}

describe.skipIf(authlibPython === null)('Authlib RFC 9068 validator (JWTBearerTokenValidator)', () => {
  it.each(['ES256', 'RS256', 'Ed25519'] as const)('accepts a %s access token given only the JWKS, with client_id, auth_time, amr and scope', async (alg) => {
    const { accessToken, jwks } = await issued(alg);
    // joserfc (under Authlib) accepts only HS256, RS256 and ES256 unless the resource server allows more
    const [verdict] = validate(jwks, [accessToken], alg === 'Ed25519' ? ['Ed25519'] : []);
    expect(verdict, verdict?.error).toMatchObject({ ok: true, alg });
    expect(verdict!.claims).toMatchObject({ iss: ISSUER, aud: RESOURCE, sub: 'u-42', client_id: 'web-app', scope: 'profile orders:read', amr: ['pwd', 'otp'] });
    expect(typeof verdict!.claims!.auth_time).toBe('number');
    expect(typeof verdict!.claims!.jti).toBe('string');
  });

  it('refuses a token with a broken signature, one for another audience, and one whose key is not in the JWKS', async () => {
    const { accessToken, jwks } = await issued('ES256');
    const other = await issued('ES256');
    const [head, body, sig] = accessToken.split('.') as [string, string, string];
    const broken = `${head}.${body}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    expect(validate(jwks, [broken, other.accessToken]).map((v) => v.ok)).toEqual([false, false]);
    expect(validate(jwks, [accessToken], [], 'https://elsewhere.test')[0]!.ok).toBe(false);
  });
});
