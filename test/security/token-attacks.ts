// The forged access tokens of the attack suite, written once: test/security/tokens.test.ts sends them to every
// adapter, test/verify/ sends them to latchkey/verify (in process and in a second process). Each forgery
// carries otherwise perfect claims for a live session, so only the defence it names can refuse it. Not a test file.
import { createHmac, createPublicKey } from 'node:crypto';
import { CompactSign, FlattenedSign, type JWTPayload } from 'jose';
import { generateKey, type SigningKey } from '../../src/entries/index.js';

/** The attacks, grouped as the tests of tokens.test.ts name them. */
export type AttackGroup =
  | 'alg-none'
  | 'hs256-with-public-key'
  | 'other-key-same-kid'
  | 'kid-injection'
  | 'crit'
  | 'typ-substitution'
  | 'id-token'
  | 'tampered-payload'
  | 'tampered-header'
  | 'wrong-issuer-or-audience'
  | 'missing-claim';

/** One forged token; `code` is the AuthError code a refusal must carry, when the suite pins it (else any 401). */
export interface Attack {
  group: AttackGroup;
  label: string;
  token: string;
  code?: 'token_invalid';
}

/** What the forger knows: the real key (the attacks that need it are signed with it), genuine claims and a genuine token. */
export interface AttackInput {
  key: SigningKey;
  /** Perfect claims for a live session, with `over` applied. */
  claims: (over?: JWTPayload) => JWTPayload;
  /** A genuine token issued to that session. */
  genuine: string;
}

export const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWS with exactly this header and payload, signed by `key` (jose refuses nothing on our behalf here). */
export async function signed(header: Record<string, unknown>, payload: JWTPayload, key: CryptoKey, crit: Record<string, boolean> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key, { crit });
}

/** An HS256 JWS whose HMAC key is `secret` (the classic alg-confusion forgery). */
export function hs256(header: Record<string, unknown>, payload: JWTPayload, secret: string | Buffer): string {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Every forgery of the suite against `input.key` (an asymmetric key: the alg-confusion group signs with its public key).
 * @example
 * for (const attack of await tokenAttacks({ key, claims, genuine })) expect(await refused(attack.token)).toBe(true);
 */
export async function tokenAttacks(input: AttackInput): Promise<Attack[]> {
  const { key, claims, genuine } = input;
  const header = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...over });
  const attacks: Attack[] = [];
  const add = (group: AttackGroup, label: string, token: string, code?: 'token_invalid'): void => void attacks.push({ group, label, token, ...(code ? { code } : {}) });

  for (const alg of ['none', 'None', 'NONE']) {
    const token = `${b64(header({ alg }))}.${b64(claims())}.`;
    add('alg-none', `alg ${alg}, empty signature`, token, 'token_invalid');
    add('alg-none', `alg ${alg}, a signature`, `${token}${b64('x')}`, 'token_invalid');
  }

  const pub = createPublicKey({ key: key.publicJwk as never, format: 'jwk' });
  const pem = pub.export({ format: 'pem', type: 'spki' }).toString();
  const secrets: [string, string | Buffer][] = [
    ['PEM', pem],
    ['PEM trimmed', pem.trim()],
    ['JWK JSON', JSON.stringify(key.publicJwk)],
    ['raw x bytes', Buffer.from(String(key.publicJwk!.x), 'base64url')],
    ['SPKI DER', pub.export({ format: 'der', type: 'spki' })],
  ];
  for (const [label, secret] of secrets) add('hs256-with-public-key', `HS256 keyed with the public key as ${label}`, hs256(header(), claims(), secret), 'token_invalid');

  add('other-key-same-kid', 'signed by another key under this kid', await signed(header(), claims(), (await generateKey(key.alg)).signingKey!));

  const kids: unknown[] = ['../../../../../../dev/null', '/etc/passwd', "' OR '1'='1", "x'; DROP TABLE keys; --", '__proto__', 'constructor', 'toString', '', 'unknown-kid', 0, null, { $ne: null }, ['a'], `${key.kid}\u0000`, `${key.kid} `];
  for (const kid of kids) add('kid-injection', `kid ${JSON.stringify(kid)}`, await signed(header({ kid }), claims(), key.signingKey!), 'token_invalid');
  add('kid-injection', 'no kid', await signed({ alg: key.alg, typ: 'at+jwt' }, claims(), key.signingKey!));

  add('crit', 'unknown crit header', await signed(header({ crit: ['x-latchkey-unknown'], 'x-latchkey-unknown': true }), claims(), key.signingKey!, { 'x-latchkey-unknown': true }), 'token_invalid');
  // RFC 7797 unencoded payload: jose knows `b64`, but a JWT must never use it
  const raw = JSON.stringify(claims());
  const jws = await new FlattenedSign(new TextEncoder().encode(raw)).setProtectedHeader({ ...header(), crit: ['b64'], b64: false } as never).sign(key.signingKey!);
  add('crit', 'b64: false, payload encoded', `${jws.protected}.${b64(raw)}.${jws.signature}`);
  add('crit', 'b64: false, payload detached', `${jws.protected}..${jws.signature}`);

  for (const typ of ['JWT', 'jwt', 'refresh+jwt', 'id_token+jwt', 'at+jwt+x', undefined]) {
    const h = header({ typ });
    if (typ === undefined) delete h.typ;
    add('typ-substitution', `typ ${String(typ)}`, await signed(h, claims(), key.signingKey!), 'token_invalid');
  }

  const idClaims = { ...claims(), nonce: 'n-0S6_WzA2Mj', auth_time: claims().iat, email: 'a@example.com' };
  add('id-token', 'an id token (typ JWT, nonce)', await signed(header({ typ: 'JWT' }), idClaims, key.signingKey!), 'token_invalid');

  const [h, p, s] = genuine.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
  for (const change of [{ sub: '1' }, { exp: payload.exp! + 86_400 }, { sid: 'AAAAAAAAAAAAAAAAAAAAAA' }, { role: 'admin' }]) {
    add('tampered-payload', `payload changed: ${JSON.stringify(change)}`, `${h}.${b64({ ...payload, ...change })}.${s}`, 'token_invalid');
  }
  add('tampered-payload', 'one signature character flipped', `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`);

  for (const swapped of [header({ alg: 'ES256' }), header({ alg: 'HS256' }), header({ kid: 'other' }), header({ typ: 'JWT' })]) {
    add('tampered-header', `header swapped to ${JSON.stringify(swapped)}`, `${b64(swapped)}.${p}.${s}`);
  }

  const issuer = claims().iss as string;
  for (const over of [{ iss: 'https://evil.example' }, { iss: `${issuer}/` }, { aud: 'mobile' }, { aud: ['mobile', 'admin'] }, { iss: undefined }, { aud: undefined }]) {
    add('wrong-issuer-or-audience', JSON.stringify(over), await signed(header(), claims(over), key.signingKey!), 'token_invalid');
  }

  for (const missing of ['sid', 'sub', 'exp', 'jti', 'iat']) {
    const c = claims();
    delete c[missing];
    add('missing-claim', `no ${missing}`, await signed(header(), c, key.signingKey!));
  }
  return attacks;
}
