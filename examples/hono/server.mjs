// latchkey with Hono on @hono/node-server: sign-in form, protected page, "my devices", an SPA page, sign-out.
// Run: npm run demo -- hono   (or: npx tsup && node examples/hono/server.mjs)
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { isAuthError } from 'latchkey';
import { latchkey } from 'latchkey/hono';
import { ASSETS, PAGE_HEADERS, accountPage, appPage, devicesPage, loginPage, messagePage } from '../shared/pages.mjs';
import { closeOnSignal, createDemoAuth, createDemoUser, isLoginCsrf, printBanner, readConfig } from '../shared/setup.mjs';

const config = readConfig();
const demo = await createDemoAuth(config);
const { auth } = demo;
const user = await createDemoUser(config);
const lk = latchkey(auth);

const app = new Hono();
app.use('*', lk.authenticate()); // c.get('auth'): who is signed in, or null; refuses cross-site cookie POSTs (403)

const page = (c, html, status = 200) => c.body(html, status, PAGE_HEADERS);
const signedIn = async (c, next) => (c.get('auth') ? next() : c.redirect('/login', 303));
/** The form fields, from a small urlencoded body only. */
async function form(c) {
  if (Number(c.req.header('content-length') ?? 0) > 4096) return {};
  const body = await c.req.parseBody().catch(() => ({}));
  return { username: typeof body.username === 'string' ? body.username : undefined, password: typeof body.password === 'string' ? body.password : undefined };
}

for (const [path, asset] of Object.entries(ASSETS)) app.get(path, (c) => c.body(asset.body, 200, { 'content-type': asset.type }));

app.get('/', (c) => c.redirect(c.get('auth') ? '/account' : '/login', 303));
app.get('/login', (c) => page(c, loginPage({ notice: c.req.query('signed_out') ? 'You are signed out.' : undefined })));
app.post('/login', async (c) => {
  const { username, password } = await form(c);
  const userId = await user.verify(username, password);
  if (!userId) return page(c, loginPage({ error: 'Wrong username or password.', username }), 401);
  try {
    await lk.signIn(c, { userId, data: { name: user.username } }); // sets the session and refresh cookies
  } catch (error) {
    // latchkey's CSRF check covers sign-in too: a cross-site form must not sign this browser in (login CSRF)
    if (isLoginCsrf(error)) return page(c, messagePage({ title: 'Refused', message: 'Cross-site sign-in refused.' }), 403);
    throw error;
  }
  return c.redirect('/account', 303);
});

app.get('/account', signedIn, async (c) => page(c, accountPage({ auth: c.get('auth'), session: await auth.sessions.get(c.get('auth').sessionId) })));
app.get('/devices', signedIn, async (c) => {
  const sessions = await auth.sessions.list(c.get('auth').userId);
  const ended = c.req.query('ended');
  const notice = ended !== undefined ? `Signed out ${Number(ended)} other device(s).` : undefined;
  return page(c, devicesPage({ auth: c.get('auth'), sessions, notice }));
});
app.post('/devices/sign-out-others', lk.requireAuth(), async (c) => {
  const ended = await auth.signOutEverywhere(c.get('auth').userId, { except: c.get('auth').sessionId });
  return c.redirect(`/devices?ended=${ended}`, 303);
});

app.get('/app', (c) => page(c, appPage({ auth: c.get('auth') })));
app.get('/api/me', lk.requireAuth(), (c) => c.json({ userId: c.get('auth').userId, name: c.get('auth').data?.name, via: c.get('auth').via }));
app.post('/auth/refresh', lk.refresh()); // 200 { accessToken, expiresIn } + rotated refresh cookie
app.post('/auth/logout', lk.signOut()); // 204 + cleared cookies (for scripts)
app.post('/logout', async (c) => {
  // The form's sign-out: end the session, clear the cookies, and go back to the sign-in page.
  const { setCookies } = await auth.signOutRequest({ method: c.req.method, headers: c.req.raw.headers });
  for (const line of setCookies) c.header('set-cookie', line, { append: true });
  return c.redirect('/login?signed_out=1', 303);
});

app.onError((error, c) => {
  if (!isAuthError(error)) throw error;
  return page(c, messagePage({ title: 'Refused', message: error.message }), error.status);
});

// Behind a TLS-terminating proxy, read the client address from the proxy's header only when the proxy sets it.
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  printBanner({ framework: 'Hono', port: info.port, user, storeLabel: demo.storeLabel, accessTtl: config.accessTtl });
});
closeOnSignal(server, demo);
