// latchkey/adapter, as someone writing an adapter for another framework uses it: a binding over a
// made-up framework's request object, and the verbs the kit builds from it.
import { describe, expect, it, vi } from 'vitest';
import * as root from 'latchkey';
import { createAuth, type AuthContext } from 'latchkey';
import { adapterKit, errorResponse, freshCookies, refreshResponse, requireAuthOptions, requireContext, signOutResponse, webAnswer, type Binding } from 'latchkey/adapter';

/** The made-up framework's per-request object. */
interface Exchange {
  method: string;
  headers: Record<string, string>;
  cookiesOut: string[];
  user?: AuthContext | null;
}

const binding: Binding<Exchange> = {
  request: (ex) => ({ method: ex.method, headers: ex.headers }),
  appendCookies: (ex, lines) => void ex.cookiesOut.push(...lines),
  setAuth: (ex, auth) => void (ex.user = auth),
  ip: () => '192.0.2.7',
};

const exchange = (headers: Record<string, string> = {}, method = 'GET'): Exchange => ({ method, headers, cookiesOut: [] });

describe('adapterKit over a custom framework binding', () => {
  it('signIn records the user agent and the binding ip, appends both cookies, and the session cookie then authenticates', async () => {
    const auth = createAuth();
    const kit = adapterKit(auth, binding);
    const login = exchange({ 'user-agent': 'kit-test/1' }, 'POST');
    const result = await kit.signIn(login, { userId: 'u1' });
    expect(login.cookiesOut).toEqual(result.setCookies);
    expect(result.session.meta).toMatchObject({ userAgent: 'kit-test/1', ip: '192.0.2.7' });
    const cookie = login.cookiesOut.map((line) => line.split(';')[0]).join('; ');
    const next = exchange({ cookie });
    expect(await kit.authenticate(next)).toBeNull();
    expect(next.user).toMatchObject({ userId: 'u1', via: 'cookie' });
  });

  it('requireAuth answers 401 with the challenge and never appends the same clearing line twice', async () => {
    const kit = adapterKit(createAuth(), binding);
    const forged = exchange({ cookie: '__Host-latchkey.session=abc.def' });
    const answer = await kit.requireAuth()(forged);
    expect(answer).toMatchObject({ status: 401, body: { error: 'session_invalid' } });
    expect(answer?.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(forged.cookiesOut).toHaveLength(2); // the resolution and the error both carry the two clearing lines
    expect(new Set(forged.cookiesOut).size).toBe(2);
  });

  it('resolves a request once per kit instance, whatever number of steps it passes', async () => {
    const auth = createAuth();
    const resolve = vi.spyOn(auth, 'resolve');
    const kit = adapterKit(auth, binding);
    const ex = exchange();
    await kit.authenticate(ex);
    await kit.requireAuth()(ex);
    await kit.requireAuth({ check: () => true })(ex);
    expect(resolve).toHaveBeenCalledTimes(1);
    await adapterKit(auth, binding).authenticate(ex); // another instance resolves for itself
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('an error that is not an AuthError rejects the step, for the framework error path', async () => {
    const kit = adapterKit(createAuth(), binding);
    const signedIn = await kit.signIn(exchange(), { userId: 'y' });
    const ex = exchange({ cookie: signedIn.setCookies[0]!.split(';')[0]! });
    const broken = kit.requireAuth({ check: () => { throw new Error('app bug'); } });
    await expect(broken(ex)).rejects.toThrow('app bug');
  });

  it('refresh and signOut end in answers: 401 without a cookie, 204 with the clearing lines on sign-out', async () => {
    const kit = adapterKit(createAuth({ keys: [await root.generateKey('EdDSA')], issuer: 'https://i.test', audience: 'a' }), binding);
    expect(await kit.refresh(exchange({}, 'POST'))).toMatchObject({ status: 401, body: { error: 'credentials_missing' } });
    const out = exchange({}, 'POST');
    expect(await kit.signOut(out)).toMatchObject({ status: 204, body: null });
    expect(out.cookiesOut.every((line) => /Max-Age=0/.test(line))).toBe(true);
  });
});

describe('answer helpers', () => {
  it('freshCookies keeps only lines the response does not have yet', () => {
    expect(freshCookies(undefined, ['a=1'])).toEqual(['a=1']);
    expect(freshCookies('a=1', ['a=1', 'b=2'])).toEqual(['b=2']);
    expect(freshCookies(['a=1', 'b=2'], ['a=1', 'b=2'])).toEqual([]);
  });

  it('webAnswer serialises JSON with the charset Express, Fastify and Koa send, and no body for 204', () => {
    expect(webAnswer(errorResponse(new root.AuthError('forbidden')))).toMatchObject({ status: 403, body: '{"error":"forbidden"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(webAnswer(signOutResponse({ setCookies: [] }))).toEqual({ status: 204, body: null, headers: { 'cache-control': 'no-store' } });
  });

  it("the root's deprecated aliases give the same answers as latchkey/adapter", async () => {
    const error = new root.AuthError('store_unavailable');
    expect(root.errorResponse(error)).toEqual(errorResponse(error));
    const result = { setCookies: ['r=1'], accessToken: 't', expiresIn: 900, refreshToken: 'x', session: {} as never, via: 'cookie' as const };
    expect(root.refreshResponse(result)).toEqual(refreshResponse(result));
    expect(root.signOutResponse({ setCookies: [] })).toEqual(signOutResponse({ setCookies: [] }));
    const check = (): boolean => true;
    expect(root.requireAuthOptions({ check })).toEqual(requireAuthOptions({ check }));
    await expect(root.requireContext({ auth: null, error: null })).rejects.toBeInstanceOf(root.AuthError);
    await expect(requireContext({ auth: null, error: null })).rejects.toBeInstanceOf(root.AuthError);
  });
});
