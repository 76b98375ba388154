// latchkey/nestjs: the shared scenario table (scenarios.ts) against a real NestJS app on both HTTP platforms, then
// what only Nest has: the app-wide default (forRoot({ requireAuth: true }) and @Public()), decorators on controllers,
// option checks, and the answers Nest gives with no filter of the app's own.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, HttpCode, Inject, Module, Post, Res, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth as LatchkeyAuth, type AuthContext } from '../../src/entries/index.js';
import { Auth, LatchkeyModule, LatchkeyService, Public, RequireAuth, type LatchkeyModuleOptions, type LatchkeyResponse } from '../../src/entries/nestjs.js';
import { describeScenarios } from './scenarios.js';
import { startNestExpress, startNestFastify } from './apps/nestjs.js';

describeScenarios('nestjs (platform-express)', startNestExpress);
describeScenarios('nestjs (platform-fastify)', startNestFastify);

const isAdmin = (auth: AuthContext): boolean => auth.via === 'cookie' && auth.data.role === 'admin';

@Controller()
class OpenByDefault {
  constructor(@Inject(LatchkeyService) private readonly latchkey: LatchkeyService) {}
  @Get('open') open(@Auth() auth: AuthContext | null) {
    return { userId: auth?.userId ?? null };
  }
  @Get('admin') @RequireAuth({ check: isAdmin }) admin() {
    return { admin: true };
  }
  @Post('login') @HttpCode(200) async login(@Res({ passthrough: true }) res: LatchkeyResponse) {
    await this.latchkey.signIn(res, { userId: '9', data: { role: 'admin' } });
    return { signedIn: true };
  }
  @Post('logout-form') @HttpCode(200) async logoutForm(@Res({ passthrough: true }) res: LatchkeyResponse) {
    return this.latchkey.endSession(res);
  }
}

@Controller('private')
class Private {
  @Get() whoami(@Auth() auth: AuthContext) {
    return { userId: auth.userId };
  }
  @Get('welcome') @Public() welcome(@Auth() auth: AuthContext | null) {
    return { signedIn: auth !== null };
  }
}

@Controller('pages')
@Public()
class Pages {
  @Get() index() {
    return { page: 'index' };
  }
  @Get('settings') @RequireAuth({ check: isAdmin }) settings() {
    return { page: 'settings' };
  }
}

async function start(platform: 'express' | 'fastify', options: Omit<LatchkeyModuleOptions, 'auth'>, controllers: Type[]): Promise<{ url: string; auth: LatchkeyAuth<boolean>; close(): Promise<void> }> {
  const auth = createAuth({ cookies: { secure: false } });
  @Module({ imports: [LatchkeyModule.forRoot({ auth, ...options })], controllers })
  class AppModule {}
  const app = await NestFactory.create(AppModule, platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, auth, close: async () => void (await Promise.all([app.close(), auth.close()])) };
}

async function call(url: string, method: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method, headers, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, setCookies: res.headers.getSetCookie(), body: text ? JSON.parse(text) : null };
}

describe.each(['express', 'fastify'] as const)('latchkey/nestjs on platform-%s', (platform) => {
  describe('forRoot({ auth }): open by default', () => {
    let app: Awaited<ReturnType<typeof start>>;
    let cookie: string;
    beforeAll(async () => {
      app = await start(platform, {}, [OpenByDefault, Private]);
      cookie = `latchkey.session=${(await app.auth.signIn({ userId: '7', data: { role: 'user' } })).sessionToken}`;
    });
    afterAll(() => app.close());

    it('undecorated routes answer everyone, with @Auth() the signed-in context or null', async () => {
      expect(await call(`${app.url}/open`, 'GET')).toMatchObject({ status: 200, body: { userId: null } });
      expect(await call(`${app.url}/open`, 'GET', { cookie })).toMatchObject({ status: 200, body: { userId: '7' } });
      expect(await call(`${app.url}/private`, 'GET', { cookie })).toMatchObject({ status: 200, body: { userId: '7' } });
    });

    it('with no exception filter of the app, a refusal is latchkey answer exactly: status, challenge, no-store, JSON body', async () => {
      const missing = await call(`${app.url}/admin`, 'GET');
      expect(missing).toMatchObject({ status: 401, body: { error: 'credentials_missing' } });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      expect(missing.headers.get('cache-control')).toBe('no-store');
      expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const forbidden = await call(`${app.url}/admin`, 'GET', { cookie });
      expect(forbidden).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect(forbidden.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="insufficient_scope"');
      const forged = await call(`${app.url}/admin`, 'GET', { cookie: `${cookie.slice(0, -4)}AAAA` });
      expect(forged).toMatchObject({ status: 401, body: { error: 'session_invalid' } });
      expect(forged.setCookies.filter((line) => /Max-Age=0/.test(line))).toHaveLength(2);
    });

    it('a cross-site sign-in answers 403 csrf_rejected as JSON (the module filter answers AuthErrors), never a 500, and signs nobody in', async () => {
      const refused = await call(`${app.url}/login`, 'POST', { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' });
      expect(refused).toMatchObject({ status: 403, body: { error: 'csrf_rejected' }, setCookies: [] });
      expect(await app.auth.sessions.list('9')).toEqual([]);
      const signedIn = await call(`${app.url}/login`, 'POST');
      expect(signedIn).toMatchObject({ status: 200, body: { signedIn: true } });
      expect(signedIn.setCookies.map((line) => line.split('=')[0])).toEqual(['latchkey.session']);
    });

    it('endSession ends the session and sets the clearing cookies without answering', async () => {
      const own = `latchkey.session=${(await app.auth.signIn({ userId: '8' })).sessionToken}`;
      const res = await call(`${app.url}/logout-form`, 'POST', { cookie: own });
      expect(res.status).toBe(200);
      expect(res.body.sessionId).toEqual(expect.any(String));
      expect(res.setCookies.filter((line) => /Max-Age=0/.test(line))).toHaveLength(2);
      expect(await call(`${app.url}/open`, 'GET', { cookie: own })).toMatchObject({ status: 200, body: { userId: null } });
      expect(await app.auth.sessions.list('8')).toEqual([]);
    });
  });

  describe('forRoot({ auth, requireAuth: true }): sign-in by default, @Public() the exception', () => {
    let app: Awaited<ReturnType<typeof start>>;
    let user: string;
    let admin: string;
    beforeAll(async () => {
      app = await start(platform, { requireAuth: true }, [Private, Pages]);
      user = `latchkey.session=${(await app.auth.signIn({ userId: '7', data: { role: 'user' } })).sessionToken}`;
      admin = `latchkey.session=${(await app.auth.signIn({ userId: '1', data: { role: 'admin' } })).sessionToken}`;
    });
    afterAll(() => app.close());

    it('an undecorated route answers 401 to nobody and 200 to a signed-in user', async () => {
      const res = await call(`${app.url}/private`, 'GET');
      expect(res).toMatchObject({ status: 401, body: { error: 'credentials_missing' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      expect(await call(`${app.url}/private`, 'GET', { cookie: user })).toMatchObject({ status: 200, body: { userId: '7' } });
    });

    it('@Public() on a route or a controller lets everyone in, and @Auth() still says who is signed in', async () => {
      expect(await call(`${app.url}/private/welcome`, 'GET')).toMatchObject({ status: 200, body: { signedIn: false } });
      expect(await call(`${app.url}/private/welcome`, 'GET', { cookie: user })).toMatchObject({ status: 200, body: { signedIn: true } });
      expect(await call(`${app.url}/pages`, 'GET')).toMatchObject({ status: 200, body: { page: 'index' } });
    });

    it('@RequireAuth(options) on a route inside a @Public() controller wins (the nearest decorator decides)', async () => {
      expect(await call(`${app.url}/pages/settings`, 'GET')).toMatchObject({ status: 401 });
      expect(await call(`${app.url}/pages/settings`, 'GET', { cookie: user })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect(await call(`${app.url}/pages/settings`, 'GET', { cookie: admin })).toMatchObject({ status: 200, body: { page: 'settings' } });
    });

  });

  it('forRoot({ requireAuth: { maxAge } }) makes a recent sign-in the default', async () => {
    const app = await start(platform, { requireAuth: { maxAge: '5m' } }, [Private]);
    try {
      const cookie = `latchkey.session=${(await app.auth.signIn({ userId: '7' })).sessionToken}`;
      expect(await call(`${app.url}/private`, 'GET', { cookie })).toMatchObject({ status: 200 });
    } finally {
      await app.close();
    }
  });
});

describe('latchkey/nestjs options', () => {
  it('forRoot refuses a missing Auth and a requireAuth that is not true, false or options, saying what to pass', () => {
    expect(() => LatchkeyModule.forRoot({} as LatchkeyModuleOptions)).toThrow(/LatchkeyModule\.forRoot\(\{ auth: createAuth/);
    const auth = createAuth();
    expect(() => LatchkeyModule.forRoot({ auth, requireAuth: 'yes' as unknown as boolean })).toThrow(/requireAuth.*true, false or requireAuth options/);
    expect(() => LatchkeyModule.forRoot({ auth, requireAuth: { check: 'admin' as unknown as () => boolean } })).toThrow(/check to be a function/);
    expect(LatchkeyModule.forRoot({ auth }).global).toBe(true);
    void auth.close();
  });

  it('@RequireAuth checks its options when the controller is declared, not per request', () => {
    expect(() => RequireAuth({ check: 1 as unknown as () => boolean })).toThrow(/check to be a function/);
    expect(() => RequireAuth({ maxAge: 'soon' as '5m' })).toThrow(TypeError);
  });
});
