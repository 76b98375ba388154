// The scenario table's NestJS app, on @nestjs/platform-express and on @nestjs/platform-fastify: one controller,
// built the way a user would (decorators, explicit @Inject: no emitDecoratorMetadata needed).
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Catch, Controller, Get, HttpCode, HttpException, Inject, Module, Post, Query, Res, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Auth as LatchkeyAuth, AuthContext } from '../../../src/entries/index.js';
import { Auth, LatchkeyModule, LatchkeyService, RequireAuth, type LatchkeyResponse } from '../../../src/entries/nestjs.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

const AUTH = Symbol('auth');

/** The app's own cookie, set before sign-in, through whichever platform is running. */
function themeCookie(res: LatchkeyResponse): void {
  if ('raw' in res) res.header('set-cookie', 'theme=dark; Path=/');
  else res.append('Set-Cookie', 'theme=dark; Path=/');
}

@Controller()
class ScenarioController {
  constructor(
    @Inject(LatchkeyService) private readonly latchkey: LatchkeyService,
    @Inject(AUTH) private readonly auth: LatchkeyAuth<true>,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(@Query('user') user: string, @Query('role') role: string, @Res({ passthrough: true }) res: LatchkeyResponse) {
    themeCookie(res);
    const result = await this.latchkey.signIn(res, { userId: String(user), data: { role: String(role) } });
    return { accessToken: result.accessToken, expiresIn: result.expiresIn };
  }

  @Get('me')
  @RequireAuth()
  me(@Auth() auth: AuthContext) {
    return describeAuth(auth);
  }

  @Get('admin')
  @RequireAuth({ check: isAdmin })
  admin(@Auth() auth: AuthContext) {
    return describeAuth(auth);
  }

  @Get('public')
  open(@Auth() auth: AuthContext | null) {
    return { signedIn: auth !== null };
  }

  @Post('write')
  @HttpCode(200)
  @RequireAuth()
  write(@Auth() auth: AuthContext) {
    return { wrote: true, userId: auth.userId };
  }

  @Get('boom')
  @RequireAuth({ check: brokenCheck })
  boom() {
    return { unreachable: true };
  }

  @Get('recent')
  @RequireAuth({ maxAge: '5m' })
  recent(@Auth() auth: AuthContext) {
    return describeAuth(auth);
  }

  @Post('reauth')
  @HttpCode(200)
  @RequireAuth()
  async reauth(@Auth() auth: AuthContext, @Res({ passthrough: true }) res: LatchkeyResponse) {
    const result = await this.auth.reauthenticate(auth.sessionId, { amr: ['pwd'] });
    this.latchkey.setCookies(res, result.setCookies);
    return { accessToken: result.accessToken, expiresIn: result.expiresIn };
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

/** The app's error handler: Nest's own answer for HttpExceptions (latchkey's refusals among them), `{ appError }` for the rest. */
@Catch()
class AppErrors extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException) return super.catch(error, host);
    const err = error as { status?: number; message: string };
    const res = host.switchToHttp().getResponse<LatchkeyResponse>();
    if ('raw' in res) void res.code(err.status ?? 500).send({ appError: err.message });
    else res.status(err.status ?? 500).json({ appError: err.message });
  }
}

/** The app on one platform. */
export const startNest = (platform: 'express' | 'fastify'): StartApp => async (auth) => {
  @Module({ imports: [LatchkeyModule.forRoot({ auth })], controllers: [ScenarioController], providers: [{ provide: AUTH, useValue: auth }] })
  class AppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  app.useGlobalFilters(new AppErrors(app.getHttpAdapter()));
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as import('node:http').Server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => app.close() };
};

export const startNestExpress: StartApp = startNest('express');
export const startNestFastify: StartApp = startNest('fastify');
