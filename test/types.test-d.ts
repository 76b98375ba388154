// Type tests: they only need to compile (vitest typecheck and `tsc --noEmit -p .`).
//
// The Register augmentation below applies to the whole TypeScript project (every test file), so it is
// deliberately permissive: `role` is typed, every other key stays `unknown` as without augmentation.
// Any other `declare module 'latchkey'` in this project must declare the identical `data` and `claims`.
import { expectTypeOf, test } from 'vitest';
import {
  createAuth,
  generateKey,
  type AccessTokenClaims,
  type Auth,
  type AuthContext,
  type AuthErrorCode,
  type AuthEvent,
  type RefreshResult,
  type SessionData,
  type SessionInfo,
  type SignInResult,
} from '../src/entries/index.js';

declare module 'latchkey' {
  interface Register {
    data: { role?: string; [key: string]: unknown };
    claims: { role?: string; [key: string]: unknown };
  }
}

test('Register augmentation flows into session data, AuthContext.data and access-token claims', async () => {
  expectTypeOf<SessionData['role']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<SessionInfo['data']['role']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<AccessTokenClaims['role']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<AccessTokenClaims['sid']>().toEqualTypeOf<string>();

  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web', accessToken: { claims: (session) => ({ role: session.data.role }) } });
  const ctx = await auth.authenticate({ headers: {} });
  if (ctx) {
    expectTypeOf(ctx).toEqualTypeOf<AuthContext>();
    if (ctx.via === 'cookie') {
      expectTypeOf(ctx.data.role).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.claims).toEqualTypeOf<undefined>();
    } else {
      expectTypeOf(ctx.data).toEqualTypeOf<SessionData | null>();
      expectTypeOf(ctx.claims.role).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.claims.sub).toBeString();
    }
  }
  // @ts-expect-error role is a string
  await auth.signIn({ userId: '1', data: { role: 42 } });
  // @ts-expect-error the claims hook must return the registered claims shape
  createAuth({ keys: ['x'.repeat(32)], issuer: 'i', audience: 'a', accessToken: { claims: () => ({ role: 1 }) } });
});

test('createAuth with keys returns Auth<true>: signIn and refresh carry string tokens', async () => {
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
  expectTypeOf(auth).toEqualTypeOf<Auth<true>>();
  const signedIn = await auth.signIn({ userId: '1' });
  expectTypeOf(signedIn).toEqualTypeOf<SignInResult<true>>();
  expectTypeOf(signedIn.accessToken).toEqualTypeOf<string>();
  expectTypeOf(signedIn.refreshToken).toEqualTypeOf<string>();
  expectTypeOf(signedIn.expiresIn).toEqualTypeOf<number>();
  expectTypeOf(signedIn.setCookies).toEqualTypeOf<string[]>();
  expectTypeOf(await auth.refresh({ refreshToken: signedIn.refreshToken })).toEqualTypeOf<RefreshResult>();
  expectTypeOf((await auth.elevate(signedIn.session.id)).accessToken).toEqualTypeOf<string>();
  expectTypeOf(await auth.verifyAccessToken(signedIn.accessToken)).toEqualTypeOf<AccessTokenClaims>();
});

test('createAuth without keys returns Auth<false>: no access token', async () => {
  const auth = createAuth({ session: { idleTimeout: '30m' } });
  expectTypeOf(auth).toEqualTypeOf<Auth<false>>();
  const signedIn = await auth.signIn({ userId: '1' });
  expectTypeOf(signedIn.accessToken).toEqualTypeOf<undefined>();
  expectTypeOf(signedIn.refreshToken).toEqualTypeOf<undefined>();
  expectTypeOf(signedIn.sessionToken).toEqualTypeOf<string>();
  expectTypeOf(createAuth()).toEqualTypeOf<Auth<false>>();
});

test('option, error and event types narrow', () => {
  // @ts-expect-error durations need a unit or a number of seconds
  createAuth({ session: { idleTimeout: '30 minutes' } });
  // @ts-expect-error sameSite is one of three strings
  createAuth({ cookies: { sameSite: 'sometimes' } });
  expectTypeOf<'token_expired'>().toMatchTypeOf<AuthErrorCode>();
  const onEvent = (event: AuthEvent): void => {
    if (event.type === 'refresh_reused') expectTypeOf(event.currentGeneration).toBeNumber();
    if (event.type === 'sign_out_everywhere') expectTypeOf(event.count).toBeNumber();
  };
  createAuth({ onEvent });
});
