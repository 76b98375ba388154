// latchkey with Express: sign-in form, protected page, "my devices", an SPA page, sign-out.
// Run: npm run demo   (or: npx tsup && node examples/express/server.mjs; installed from npm:
//      node node_modules/latchkey/examples/express/server.mjs)
import express from 'express';
import { isAuthError } from 'latchkey';
import { latchkey } from 'latchkey/express';
import { ASSETS, PAGE_HEADERS, accountPage, appPage, devicesPage, loginPage, messagePage } from '../shared/pages.mjs';
import { closeOnSignal, createDemoAuth, createDemoUser, isLoginCsrf, printBanner, readConfig } from '../shared/setup.mjs';

const config = readConfig();
const demo = await createDemoAuth(config);
const { auth } = demo;
const user = await createDemoUser(config);
const lk = latchkey(auth);

const app = express();
app.disable('x-powered-by');
// Behind a TLS-terminating proxy, trust it by address only, e.g. app.set('trust proxy', 'loopback').
app.use(express.urlencoded({ extended: false, limit: '4kb' }));
app.use(lk.authenticate()); // req.auth: who is signed in, or null; refuses cross-site cookie POSTs (403)

const page = (res, html, status = 200) => res.status(status).set(PAGE_HEADERS).send(html);
const signedIn = (req, res, next) => (req.auth ? next() : res.redirect(303, '/login'));

for (const [path, asset] of Object.entries(ASSETS)) app.get(path, (req, res) => res.type(asset.type).send(asset.body));

app.get('/', (req, res) => res.redirect(303, req.auth ? '/account' : '/login'));
app.get('/login', (req, res) => page(res, loginPage({ notice: req.query.signed_out ? 'You are signed out.' : undefined })));
app.post('/login', lk.route(async (req, res) => {
  const userId = await user.verify(req.body?.username, req.body?.password);
  if (!userId) return page(res, loginPage({ error: 'Wrong username or password.', username: req.body?.username }), 401);
  try {
    await lk.signIn(req, res, { userId, data: { name: user.username } }); // sets the session and refresh cookies
  } catch (error) {
    // latchkey's CSRF check covers sign-in too: a cross-site form must not sign this browser in (login CSRF)
    if (isLoginCsrf(error)) return page(res, messagePage({ title: 'Refused', message: 'Cross-site sign-in refused.' }), 403);
    throw error;
  }
  res.redirect(303, '/account');
})); // lk.route: a rejection reaches the error handlers below, on Express 4 too

app.get('/account', signedIn, async (req, res) => page(res, accountPage({ auth: req.auth, session: await auth.sessions.get(req.auth.sessionId) })));
app.get('/devices', signedIn, async (req, res) => {
  const sessions = await auth.sessions.list(req.auth.userId);
  const notice = req.query.ended !== undefined ? `Signed out ${Number(req.query.ended)} other device(s).` : undefined;
  page(res, devicesPage({ auth: req.auth, sessions, notice }));
});
app.post('/devices/sign-out-others', lk.requireAuth(), async (req, res) => {
  const ended = await auth.signOutEverywhere(req.auth.userId, { except: req.auth.sessionId });
  res.redirect(303, `/devices?ended=${ended}`);
});

app.get('/app', (req, res) => page(res, appPage({ auth: req.auth })));
app.get('/api/me', lk.requireAuth(), (req, res) => res.json({ userId: req.auth.userId, name: req.auth.data?.name, via: req.auth.via }));
app.post('/auth/refresh', lk.refresh()); // 200 { accessToken, expiresIn } + rotated refresh cookie
app.post('/auth/logout', lk.signOut()); // 204 + cleared cookies (for scripts)
app.post('/logout', async (req, res) => {
  // The form's sign-out: end the session, clear the cookies, and go back to the sign-in page.
  const { setCookies } = await auth.signOutRequest({ method: req.method, headers: req.headers });
  res.append('Set-Cookie', setCookies).redirect(303, '/login?signed_out=1');
});

app.use((error, req, res, next) => {
  if (!isAuthError(error)) return next(error);
  page(res, messagePage({ title: 'Refused', message: error.message }), error.status);
});

const server = app.listen(config.port, config.host, () => {
  printBanner({ framework: 'Express', port: server.address().port, user, storeLabel: demo.storeLabel, accessTtl: config.accessTtl });
});
closeOnSignal(server, demo);
