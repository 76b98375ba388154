// The issue's "done when": a verifier in a SECOND process, pointed at the JWKS URL of an app using latchkey
// (auth.jwks() served over HTTP on 127.0.0.1), accepts its tokens; refuses tokens of another issuer or audience
// and every forgery of the attack suite; a forged-kid flood costs at most one JWKS fetch per cooldown; and a
// retired key is refused once the JWKS is refreshed. The child's clock is moved over HTTP, never by sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, generateKey } from '../../src/entries/index.js';
import { signed, tokenAttacks } from '../security/token-attacks.js';
import { AUDIENCE, ISSUER, MINUTE, SECOND, issuer, serveJWKS, type Issuer, type JWKSServer } from './support.js';

interface Answer {
  ok: boolean;
  sub?: string;
  code?: string;
  status?: number;
  crash?: string;
}

describe('latchkey/verify in a second process, on the issuer\'s JWKS URL', () => {
  let iss: Issuer;
  let jwks: JWKSServer;
  let child: ChildProcess;
  let base: string;

  beforeAll(async () => {
    iss = await issuer({ clock: { now: () => Date.now(), advance: () => {} } }); // two processes: real time, moved in the child
    jwks = await serveJWKS(iss.auth);
    const fixture = fileURLToPath(new URL('./fixtures/verifier-child.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', fixture, jwks.url.href, ISSUER, AUDIENCE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the verifier process did not start:\n${output}`)), 15_000);
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /PORT (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => reject(new Error(`the verifier process exited with ${code}:\n${output}`)));
    });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    child?.kill();
    await jwks?.close();
    await iss?.auth.close();
  });

  const check = async (token: string): Promise<Answer> => {
    const answer = (await (await fetch(`${base}/verify`, { headers: { authorization: `Bearer ${token}` } })).json()) as Answer;
    expect(answer.crash).toBeUndefined();
    return answer;
  };
  const advance = async (ms: number): Promise<void> => void (await fetch(`${base}/clock?advance=${ms}`, { method: 'POST' }));
  const forgedKids = (n: number, sessionId: string): Promise<string[]> =>
    Promise.all(Array.from({ length: n }, (_, i) => signed({ alg: iss.key.alg, kid: `forged-${i}-${crypto.randomUUID()}`, typ: 'at+jwt' }, iss.claims(sessionId), iss.key.signingKey!)));

  it('accepts the issuer\'s tokens, with one JWKS fetch', async () => {
    for (const user of ['1', '2', '3']) expect(await check((await iss.auth.signIn({ userId: user })).accessToken)).toEqual({ ok: true, sub: user });
    expect(jwks.fetches).toBe(1);
  });

  it('refuses tokens of another issuer or for another audience, signed by the same key', async () => {
    for (const other of [{ issuer: 'https://other.example.com', audience: AUDIENCE }, { issuer: ISSUER, audience: 'mobile' }]) {
      const auth = createAuth({ keys: [iss.key], ...other });
      expect(await check((await auth.signIn({ userId: '1' })).accessToken)).toMatchObject({ ok: false, code: 'token_invalid', status: 401 });
      await auth.close();
    }
  });

  it('refuses every forgery of the attack suite with 401 (and its code where the suite pins one)', async () => {
    const { accessToken, session } = await iss.auth.signIn({ userId: '50' });
    const attacks = await tokenAttacks({ key: iss.key, claims: (over) => iss.claims(session.id, over), genuine: accessToken });
    for (const attack of attacks) {
      const answer = await check(attack.token);
      expect(answer, `${attack.group} / ${attack.label}`).toMatchObject({ ok: false, status: 401, ...(attack.code ? { code: attack.code } : {}) });
    }
  });

  it('a flood of 200 forged kids at once costs at most one JWKS fetch per cooldown', async () => {
    const { session } = await iss.auth.signIn({ userId: '50' });
    const fetched = jwks.fetches;
    await advance(31 * SECOND); // past the cooldown of the last fetch
    const answers = await Promise.all((await forgedKids(200, session.id)).map(check));
    expect(answers.every((a) => a.code === 'token_invalid')).toBe(true);
    expect(jwks.fetches).toBe(fetched + 1);
    await Promise.all((await forgedKids(200, session.id)).map(check)); // the same cooldown: none
    expect(jwks.fetches).toBe(fetched + 1);
  });

  it('refuses a retired key\'s tokens once the JWKS is refreshed, and accepts the new key\'s', async () => {
    const old = await iss.auth.signIn({ userId: 'old' });
    expect(await check(old.accessToken)).toEqual({ ok: true, sub: 'old' });
    await iss.auth.setKeys([await generateKey('Ed25519')]); // retire the key that signed it
    expect(await check(old.accessToken)).toEqual({ ok: true, sub: 'old' }); // the cached JWKS is within its max age
    await advance(10 * MINUTE);
    expect(await check(old.accessToken)).toMatchObject({ ok: false, code: 'token_invalid' });
    const fresh = await iss.auth.signIn({ userId: 'new' });
    await advance(31 * SECOND);
    expect(await check(fresh.accessToken)).toEqual({ ok: true, sub: 'new' });
  });
});
