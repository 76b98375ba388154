// latchkey with NestJS (platform-express): sign-in form, protected page, "my devices", an SPA page, sign-out.
// Run: npm run demo -- nestjs   (server.mjs loads this file through tsx; in your app, Nest's own build compiles it)
// Decorators need "experimentalDecorators": true; nothing here needs emitDecoratorMetadata (injection is by @Inject).
import 'reflect-metadata';
import type { Server } from 'node:http';
import { Body, Controller, Get, Inject, Module, Post, Query, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import type { Auth as LatchkeyAuth, AuthContext } from 'latchkey';
import { Auth, LatchkeyModule, LatchkeyService, RequireAuth } from 'latchkey/nestjs';
import { ASSETS, PAGE_HEADERS, accountPage, appPage, devicesPage, loginPage } from '../shared/pages.mjs';
import { closeOnSignal, createDemoAuth, createDemoUser, printBanner, readConfig, type DemoUser } from '../shared/setup.mjs';

const config = readConfig();
const demo = await createDemoAuth(config);
const user = await createDemoUser(config);
const AUTH = Symbol('auth');
const USER = Symbol('user');

const page = (res: Response, html: string, status = 200): void => void res.status(status).set(PAGE_HEADERS).send(html);

@Controller()
class PagesController {
  constructor(
    @Inject(LatchkeyService) private readonly latchkey: LatchkeyService,
    @Inject(AUTH) private readonly auth: LatchkeyAuth<true>,
    @Inject(USER) private readonly user: DemoUser,
  ) {}

  @Get(Object.keys(ASSETS))
  asset(@Req() req: Request, @Res() res: Response) {
    const asset = ASSETS[req.path]!;
    res.type(asset.type).send(asset.body);
  }

  @Get()
  home(@Auth() auth: AuthContext | null, @Res() res: Response) {
    res.redirect(303, auth ? '/account' : '/login');
  }

  @Get('login')
  loginForm(@Query('signed_out') signedOut: string | undefined, @Res() res: Response) {
    page(res, loginPage({ notice: signedOut ? 'You are signed out.' : undefined }));
  }

  // A cross-site form is refused by signIn (login CSRF): the AuthError it throws becomes a 403 JSON answer.
  @Post('login')
  async login(@Body() body: { username?: string; password?: string }, @Res() res: Response) {
    const userId = await this.user.verify(body?.username, body?.password);
    if (!userId) return page(res, loginPage({ error: 'Wrong username or password.', username: body?.username }), 401);
    await this.latchkey.signIn(res, { userId, data: { name: this.user.username } }); // sets the session and refresh cookies
    res.redirect(303, '/account');
  }

  @Get('account')
  async account(@Auth() auth: AuthContext | null, @Res() res: Response) {
    if (!auth) return res.redirect(303, '/login');
    page(res, accountPage({ auth, session: await this.auth.sessions.get(auth.sessionId) }));
  }

  @Get('devices')
  async devices(@Auth() auth: AuthContext | null, @Query('ended') ended: string | undefined, @Res() res: Response) {
    if (!auth) return res.redirect(303, '/login');
    const notice = ended !== undefined ? `Signed out ${Number(ended)} other device(s).` : undefined;
    page(res, devicesPage({ auth, sessions: await this.auth.sessions.list(auth.userId), notice }));
  }

  @Post('devices/sign-out-others')
  @RequireAuth()
  async signOutOthers(@Auth() auth: AuthContext, @Res() res: Response) {
    const ended = await this.auth.signOutEverywhere(auth.userId, { except: auth.sessionId });
    res.redirect(303, `/devices?ended=${ended}`);
  }

  @Get('app')
  app(@Auth() auth: AuthContext | null, @Res() res: Response) {
    page(res, appPage({ auth }));
  }

  @Get('api/me')
  @RequireAuth()
  me(@Auth() auth: AuthContext) {
    return { userId: auth.userId, name: auth.data?.name, via: auth.via };
  }

  @Post('auth/refresh')
  refresh(@Res() res: Response) {
    return this.latchkey.refresh(res); // 200 { accessToken, expiresIn } + rotated refresh cookie
  }

  @Post('auth/logout')
  signOut(@Res() res: Response) {
    return this.latchkey.signOut(res); // 204 + cleared cookies (for scripts)
  }

  @Post('logout')
  async logoutForm(@Res() res: Response) {
    await this.latchkey.endSession(res); // the form's sign-out: end the session, clear the cookies, back to sign-in
    res.redirect(303, '/login?signed_out=1');
  }
}

@Module({
  imports: [LatchkeyModule.forRoot({ auth: demo.auth })], // a global guard: @Auth() everywhere, @RequireAuth() where asked
  controllers: [PagesController],
  providers: [
    { provide: AUTH, useValue: demo.auth },
    { provide: USER, useValue: user },
  ],
})
class AppModule {}

// Behind a TLS-terminating proxy, trust it by address only: app.set('trust proxy', 'loopback').
const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: ['error', 'warn'] });
app.getHttpAdapter().getInstance().disable('x-powered-by');
await app.listen(config.port, config.host);
const server = app.getHttpServer() as Server;
printBanner({ framework: 'NestJS', port: (server.address() as { port: number }).port, user, storeLabel: demo.storeLabel, accessTtl: config.accessTtl });
closeOnSignal(server, demo);
