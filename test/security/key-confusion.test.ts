// Key confusion through text: a public key written out in one of the ways people paste keys (a PEM without its
// header lines, base64 wrapped at 76 columns, hex of the DER, base64 of a PEM or a JWK, a JWK as a JavaScript
// object, an OpenSSH line, ...) must never become an HS256 secret, because anyone who can read the public key
// could then sign tokens. Every encoding is built here from real EC, Ed25519 and RSA keys, and offered both to
// the explicit `importKey(text, { alg: 'HS256' })` and to `createAuth({ keys })` (as the string, and as its
// bytes). Random secrets in the usual encodings and passphrases stay accepted.
import { createHmac, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createAuth, exportKey, generateKey, importKey, type Auth, type SigningKey } from '../../src/entries/index.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';
const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** The SSH wire format (RFC 4253 §6.6) of a public key, as in `ssh-ed25519 AAAA… comment`. */
function sshLine(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const string = (value: string | Buffer): Buffer => {
    const bytes = Buffer.from(value);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const mpint = (value: string): Buffer => {
    const bytes = Buffer.from(value, 'base64url');
    return string(bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
  };
  let name: string;
  let blob: Buffer;
  if (jwk.kty === 'OKP') {
    name = 'ssh-ed25519';
    blob = Buffer.concat([string(name), string(Buffer.from(jwk.x!, 'base64url'))]);
  } else if (jwk.kty === 'RSA') {
    name = 'ssh-rsa';
    blob = Buffer.concat([string(name), mpint(jwk.e!), mpint(jwk.n!)]);
  } else {
    name = 'ecdsa-sha2-nistp256';
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    blob = Buffer.concat([string(name), string('nistp256'), string(point)]);
  }
  return `${name} ${blob.toString('base64')} deploy@build-42`;
}

/** Every text encoding of one public key that this test offers as an HS256 secret. */
function encodings(publicKey: KeyObject): [string, string][] {
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const jwk = publicKey.export({ format: 'jwk' });
  const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  const quoted = Object.entries(jwk).map(([name, value]) => `  ${name}: '${value}',`);
  return [
    ['a PEM body without its header lines', body.join('\n')],
    ['a PEM body, CRLF line breaks and a trailing newline', `${body.join('\r\n')}\r\n`],
    ['base64 of the DER wrapped at 76 columns', der.toString('base64').match(/.{1,76}/g)!.join('\n')],
    ['hex of the SPKI DER', der.toString('hex')],
    ['upper-case hex of the SPKI DER, wrapped', der.toString('hex').toUpperCase().match(/.{1,64}/g)!.join('\n')],
    ['base64 of the PEM', Buffer.from(pem).toString('base64')],
    ['base64url of the JWK JSON', b64url(JSON.stringify(jwk))],
    ['the JWK as a JavaScript object literal (unquoted keys)', `{\n${quoted.join('\n')}\n}`],
    ['the JWK as JSON with a trailing comma', `${JSON.stringify(jwk).slice(0, -1)},}`],
    ['a JWK set as a JavaScript object literal', `{ keys: [{ ${Object.entries(jwk).map(([n, v]) => `${n}: "${v}"`).join(', ')} }] }`],
    ['lower-case PEM header lines', pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, (_, word: string) => `-----${word.toLowerCase()} public key-----`)],
    ['an OpenSSH public key line', sshLine(publicKey)],
    ['an OpenSSH public key line with a trailing newline', `${sshLine(publicKey)}\n`],
    ['the base64 blob of an OpenSSH key alone', sshLine(publicKey).split(' ')[1]!],
    ...(publicKey.asymmetricKeyType === 'rsa'
      ? [['a PKCS#1 RSA public key body (BEGIN RSA PUBLIC KEY) without its header lines', publicKey.export({ format: 'pem', type: 'pkcs1' }).toString().split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('\n')] as [string, string]]
      : []),
  ];
}

const KEYS = {
  EC: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  Ed25519: generateKeyPairSync('ed25519'),
  RSA: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

/** An HS256 access token for a live session, signed with `secret` and naming `kid`: the forgery. */
function forge(secret: string | Uint8Array, kid: string, sid: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', kid, typ: 'at+jwt' }));
  const payload = b64url(JSON.stringify({ sub: 'admin', sid, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'forged' }));
  return `${header}.${payload}.${createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')}`;
}

/**
 * What an operator would build from `text`: the app's real key first, then the text as an HS256 key in every
 * form they might try (the string with { alg: 'HS256' }, its bytes). Returns the Auth and the kid of every key it took.
 */
async function operatorAuth(privateKey: KeyObject, text: string): Promise<{ auth: Auth<true>; kids: string[] }> {
  const keys: SigningKey[] = [await importKey(privateKey.export({ format: 'jwk' }) as never)];
  for (const attempt of [() => importKey(text, { alg: 'HS256' }), () => importKey(new TextEncoder().encode(text))]) {
    await attempt().then((key) => keys.push(key), () => {}); // refused: the operator cannot add it
  }
  return { auth: createAuth({ keys, issuer: ISSUER, audience: AUDIENCE }), kids: keys.map((key) => key.kid) };
}

describe.each(Object.entries(KEYS))('a %s public key as an HS256 secret', (_, { privateKey, publicKey }) => {
  test('every text encoding of it (PEM body, wrapped base64, hex, base64 of a PEM or JWK, JWK object literal, lower-case PEM, OpenSSH line) is refused by importKey and createAuth, and a token signed with it never verifies', async () => {
    for (const [label, text] of encodings(publicKey)) {
      const importing = importKey(text, { alg: 'HS256' });
      await expect(importing, label).rejects.toThrow(/importKey: refused as an HS256 secret: the string is .*public key.*only verifies/);
      // the message says what to do and never quotes the key
      const message = await importing.catch((error: Error) => error.message);
      expect(message, label).toMatch(/generateKey\('HS256'\)/);
      expect(message, label).not.toContain(text.trim().slice(0, 24));
      expect(() => createAuth({ keys: [text], issuer: ISSUER, audience: AUDIENCE }), label).toThrow(/keys\[0\]: a string key is read only as a PEM/);
      // the same text as bytes (TextEncoder, as SECRET_HINT suggests for strings) and inside an "oct" JWK is refused too
      expect(() => createAuth({ keys: [new TextEncoder().encode(text)], issuer: ISSUER, audience: AUDIENCE }), label).toThrow(/keys\[0\]: refused as an HS256 secret: the bytes are the text of .*public key/);
      expect(() => createAuth({ keys: [{ kty: 'oct', k: b64url(text) }], issuer: ISSUER, audience: AUDIENCE }), label).toThrow(/refused as an HS256 secret/);

      const { auth, kids } = await operatorAuth(privateKey, text);
      const { session } = await auth.signIn({ userId: '50' });
      for (const secret of [text, text.trim(), new TextEncoder().encode(text)]) {
        for (const kid of kids) await expect(auth.verifyAccessToken(forge(secret, kid, session.id)), `${label}, kid ${kid}`).rejects.toMatchObject({ code: 'token_invalid' });
      }
    }
  });

  test('its SPKI DER given as bytes is refused by createAuth and importKey', async () => {
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    expect(() => createAuth({ keys: [der], issuer: ISSUER, audience: AUDIENCE })).toThrow(/refused as an HS256 secret: the bytes are an SPKI public key/);
    await expect(importKey(der)).rejects.toThrow(/refused as an HS256 secret/);
  });
});

test('a raw uncompressed EC point (base64 or hex) is refused as an HS256 secret', async () => {
  const jwk = KEYS.EC.publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  for (const text of [point.toString('base64'), point.toString('base64url'), point.toString('hex')]) {
    await expect(importKey(text, { alg: 'HS256' })).rejects.toThrow(/raw EC public key/);
  }
});

test('random secrets in the usual encodings and passphrases stay accepted as HS256 secrets', async () => {
  const secrets: string[] = ['correct horse battery staple, a long passphrase', 'Tr0ub4dor&3 is not long enough but this sentence is'];
  for (let i = 0; i < 50; i++) {
    secrets.push(
      randomBytes(32).toString('hex'), // openssl rand -hex 32
      randomBytes(64).toString('hex'),
      randomBytes(32).toString('base64'), // openssl rand -base64 32
      randomBytes(48).toString('base64'),
      randomBytes(64).toString('base64'),
      randomBytes(32).toString('base64url'), // crypto.randomBytes(32).toString('base64url')
      randomBytes(64).toString('base64url'),
      `${randomBytes(32).toString('base64')}\n`, // a file read with its newline
    );
  }
  for (const secret of secrets) {
    const key = await importKey(secret, { alg: 'HS256' });
    expect(key.alg, secret).toBe('HS256');
    expect(() => createAuth({ keys: [new TextEncoder().encode(secret)], issuer: ISSUER, audience: AUDIENCE }), secret).not.toThrow();
  }
  for (let i = 0; i < 200; i++) expect(() => createAuth({ keys: [new Uint8Array(randomBytes(32 + (i % 40)))], issuer: ISSUER, audience: AUDIENCE })).not.toThrow();
  // the generated key exports and re-imports as before
  const generated = await generateKey('HS256');
  const secret = Buffer.from((await exportKey(generated)).jwk.k!, 'base64url');
  await expect(importKey(new Uint8Array(secret))).resolves.toMatchObject({ kid: generated.kid });
});
