// latchkey with Koa: sign-in form, protected page, "my devices", an SPA page, sign-out.
// Run: npx tsup && node examples/koa/server.mjs
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { isAuthError } from 'latchkey';
import { latchkey } from 'latchkey/koa';
import { ASSETS, PAGE_HEADERS, accountPage, appPage, devicesPage, loginPage, messagePage } from '../shared/pages.mjs';
import { closeOnSignal, createDemoAuth, createDemoUser, isLoginCsrf, printBanner, readConfig } from '../shared/setup.mjs';

const config = readConfig();
const demo = await createDemoAuth(config);
const { auth } = demo;
const user = await createDemoUser(config);
const lk = latchkey(auth);

const page = (ctx, html, status = 200) => {
  ctx.status = status;
  ctx.set(PAGE_HEADERS);
  ctx.body = html;
};
const seeOther = (ctx, url) => {
  ctx.status = 303;
  ctx.redirect(url);
};
const signedIn = async (ctx, next) => (ctx.state.auth ? next() : seeOther(ctx, '/login'));

const router = new Router();
router.get('/', (ctx) => seeOther(ctx, ctx.state.auth ? '/account' : '/login'));
router.get('/login', (ctx) => page(ctx, loginPage({ notice: ctx.query.signed_out ? 'You are signed out.' : undefined })));
router.post('/login', async (ctx) => {
  const userId = await user.verify(ctx.request.body?.username, ctx.request.body?.password);
  if (!userId) return page(ctx, loginPage({ error: 'Wrong username or password.', username: ctx.request.body?.username }), 401);
  try {
    await lk.signIn(ctx, { userId, data: { name: user.username } }); // sets the session and refresh cookies
  } catch (error) {
    // latchkey's CSRF check covers sign-in too: a cross-site form must not sign this browser in (login CSRF)
    if (isLoginCsrf(error)) return page(ctx, messagePage({ title: 'Refused', message: 'Cross-site sign-in refused.' }), 403);
    throw error;
  }
  seeOther(ctx, '/account');
});

router.get('/account', signedIn, async (ctx) => page(ctx, accountPage({ auth: ctx.state.auth, session: await auth.sessions.get(ctx.state.auth.sessionId) })));
router.get('/devices', signedIn, async (ctx) => {
  const sessions = await auth.sessions.list(ctx.state.auth.userId);
  const notice = ctx.query.ended !== undefined ? `Signed out ${Number(ctx.query.ended)} other device(s).` : undefined;
  page(ctx, devicesPage({ auth: ctx.state.auth, sessions, notice }));
});
router.post('/devices/sign-out-others', lk.requireAuth(), async (ctx) => {
  const ended = await auth.signOutEverywhere(ctx.state.auth.userId, { except: ctx.state.auth.sessionId });
  seeOther(ctx, `/devices?ended=${ended}`);
});

router.get('/app', (ctx) => page(ctx, appPage({ auth: ctx.state.auth })));
router.get('/api/me', lk.requireAuth(), (ctx) => {
  ctx.body = { userId: ctx.state.auth.userId, name: ctx.state.auth.data?.name, via: ctx.state.auth.via };
});
router.post('/auth/refresh', lk.refresh()); // 200 { accessToken, expiresIn } + rotated refresh cookie
router.post('/auth/logout', lk.signOut()); // 204 + cleared cookies (for scripts)
router.post('/logout', async (ctx) => {
  // The form's sign-out: end the session, clear the cookies, and go back to the sign-in page.
  const { setCookies } = await auth.signOutRequest({ method: ctx.method, headers: ctx.headers });
  ctx.append('Set-Cookie', setCookies);
  seeOther(ctx, '/login?signed_out=1');
});
for (const [path, asset] of Object.entries(ASSETS)) {
  router.get(path, (ctx) => {
    ctx.type = asset.type;
    ctx.body = asset.body;
  });
}

const app = new Koa();
// Behind a TLS-terminating proxy, trust it by address only (app.proxy = true plus a proxy that overwrites X-Forwarded-For).
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (!isAuthError(error)) throw error;
    page(ctx, messagePage({ title: 'Refused', message: error.message }), error.status);
  }
});
app.use(bodyParser({ enableTypes: ['form'], formLimit: '4kb' }));
app.use(lk.authenticate()); // ctx.state.auth: who is signed in, or null; refuses cross-site cookie POSTs (403)
app.use(router.routes());

const server = app.listen(config.port, config.host, () => {
  printBanner({ framework: 'Koa', port: server.address().port, user, storeLabel: demo.storeLabel, accessTtl: config.accessTtl });
});
closeOnSignal(server, demo);
