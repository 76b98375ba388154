// The types of latchkey/nestjs: what a controller sees, without a Register augmentation (register.test.ts has one).
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';
import { expectTypeOf, test } from 'vitest';
import type { Auth as LatchkeyAuth, AuthContext, SignInResult } from '../../src/entries/index.js';
import { Auth, LatchkeyException, LatchkeyModule, LatchkeyService, Public, RequireAuth, type LatchkeyResponse } from '../../src/entries/nestjs.js';

declare const auth: LatchkeyAuth<true>;
declare const service: LatchkeyService;
declare const res: Response;
declare const reply: FastifyReply;

test('the service takes either platform response and returns what the core returns', async () => {
  expectTypeOf(res).toMatchTypeOf<LatchkeyResponse>();
  expectTypeOf(reply).toMatchTypeOf<LatchkeyResponse>();
  expectTypeOf(await service.signIn(reply, { userId: '1' })).toEqualTypeOf<SignInResult<boolean>>();
  expectTypeOf(service.refresh(res)).toEqualTypeOf<Promise<void>>();
  expectTypeOf(await service.endSession(res)).toEqualTypeOf<{ sessionId: string | null }>();
  // @ts-expect-error userId is required
  await service.signIn(res, {});
  // @ts-expect-error a request is not a response
  await service.refresh({ method: 'POST', headers: {} });
});

test('forRoot takes an Auth and requireAuth as a boolean or requireAuth options; the decorators take the adapters options', () => {
  LatchkeyModule.forRoot({ auth });
  LatchkeyModule.forRoot({ auth, requireAuth: true });
  LatchkeyModule.forRoot({ auth, requireAuth: { maxAge: '1h', check: (ctx) => ctx.userId === '1' } });
  // @ts-expect-error requireAuth is not a string
  LatchkeyModule.forRoot({ auth, requireAuth: 'yes' });
  // @ts-expect-error auth is required
  LatchkeyModule.forRoot({});
  const decorator = RequireAuth({
    check: (ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<AuthContext>();
      return ctx.userId === '1';
    },
  });
  expectTypeOf(decorator).toMatchTypeOf<MethodDecorator & ClassDecorator>();
  expectTypeOf(Public()).toMatchTypeOf<MethodDecorator & ClassDecorator>();
  expectTypeOf(Auth()).toEqualTypeOf<ParameterDecorator>();
  // @ts-expect-error maxAge is a duration
  RequireAuth({ maxAge: true });
  expectTypeOf<LatchkeyException['answer']['status']>().toBeNumber();
});
