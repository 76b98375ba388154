// The attack suite's app on NestJS (latchkey/nestjs), on @nestjs/platform-express and on @nestjs/platform-fastify:
// the same routes as the other stacks in support.ts, built the way a user would (decorators, explicit @Inject).
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, HttpCode, Inject, Module, Post, Query, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Auth as LatchkeyAuth, AuthContext } from '../../src/entries/index.js';
import { Auth, LatchkeyModule, LatchkeyService, RequireAuth, type LatchkeyResponse } from '../../src/entries/nestjs.js';
import type { App } from './support.js';

const userOf = (user: unknown): string => (typeof user === 'string' && user !== '' ? user : '50');

@Controller()
class AttackController {
  constructor(@Inject(LatchkeyService) private readonly latchkey: LatchkeyService) {}

  @Get('public')
  open() {
    return { ok: true };
  }

  @Get('me')
  @RequireAuth()
  me(@Auth() auth: AuthContext) {
    return { userId: auth.userId, sessionId: auth.sessionId, via: auth.via };
  }

  @Post('write')
  @HttpCode(200)
  @RequireAuth()
  write(@Auth() auth: AuthContext) {
    return { userId: auth.userId };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Query('user') user: unknown, @Res({ passthrough: true }) res: LatchkeyResponse) {
    const result = await this.latchkey.signIn(res, { userId: userOf(user) });
    return { accessToken: result.accessToken, sessionId: result.session.id };
  }

  @Post('auth/refresh')
  refresh(@Res() res: LatchkeyResponse) {
    return this.latchkey.refresh(res);
  }

  @Post('auth/logout')
  signOut(@Res() res: LatchkeyResponse) {
    return this.latchkey.signOut(res);
  }
}

/** The attack suite's app on Nest over one platform, on a free loopback port. */
export async function startNestApp(framework: 'nest-express' | 'nest-fastify', auth: LatchkeyAuth<true>): Promise<App> {
  @Module({ imports: [LatchkeyModule.forRoot({ auth })], controllers: [AttackController] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, framework === 'nest-express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const port = (server.address() as AddressInfo).port;
  return {
    framework,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections?.();
      await app.close();
    },
  };
}
