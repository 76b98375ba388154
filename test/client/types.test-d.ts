// latchkey/client's public types: only needs to compile (vitest typecheck).
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type Client, type ClientState } from '../../src/entries/client.js';

describe('latchkey/client types', () => {
  it('createClient returns a Client whose fetch is fetch-compatible', () => {
    const client = createClient({ refreshUrl: '/auth/refresh', signOutUrl: '/auth/logout' });
    expectTypeOf(client).toEqualTypeOf<Client>();
    expectTypeOf(client.fetch).parameter(0).toEqualTypeOf<Parameters<typeof fetch>[0]>();
    expectTypeOf(client.fetch('/api/me', { method: 'POST', body: '{}' })).toEqualTypeOf<Promise<Response>>();
    expectTypeOf(client.signOut()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.state).toEqualTypeOf<ClientState | null>();
  });

  it('onChange listeners get exactly the three states and the call returns a stop function', () => {
    const client = createClient({ signOutUrl: '/auth/logout' });
    const stop = client.onChange((state) => {
      expectTypeOf(state).toEqualTypeOf<'signed-in' | 'signed-out' | 'unavailable'>();
    });
    expectTypeOf(stop).toEqualTypeOf<() => void>();
  });

  it('signOutUrl is required and setAccessToken takes a string and seconds', () => {
    // @ts-expect-error signOutUrl is required
    createClient({ refreshUrl: '/auth/refresh' });
    const client = createClient({ signOutUrl: '/auth/logout' });
    // @ts-expect-error expiresIn is a number of seconds, not a duration string
    client.setAccessToken('token', '15m');
    expectTypeOf(client.setAccessToken).parameters.toEqualTypeOf<[accessToken: string, expiresIn: number]>();
  });
});
