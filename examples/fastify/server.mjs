// latchkey with Fastify: sign-in form, protected page, "my devices", an SPA page, sign-out.
// Run: npx tsup && node examples/fastify/server.mjs
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { isAuthError } from 'latchkey';
import { latchkey } from 'latchkey/fastify';
import { ASSETS, PAGE_HEADERS, accountPage, appPage, devicesPage, loginPage, messagePage } from '../shared/pages.mjs';
import { closeOnSignal, createDemoAuth, createDemoUser, isLoginCsrf, printBanner, readConfig } from '../shared/setup.mjs';

const config = readConfig();
const demo = await createDemoAuth(config);
const { auth } = demo;
const user = await createDemoUser(config);

// Behind a TLS-terminating proxy, trust it by address only, e.g. Fastify({ trustProxy: '127.0.0.1' }).
const app = Fastify({ bodyLimit: 4096 });
await app.register(formbody);
await app.register(latchkey, { auth }); // request.auth: who is signed in, or null; refuses cross-site cookie POSTs (403)

const page = (reply, html, status = 200) => reply.code(status).headers(PAGE_HEADERS).send(html);
const signedIn = async (request, reply) => {
  if (!request.auth) return reply.redirect('/login', 303);
};

for (const [path, asset] of Object.entries(ASSETS)) app.get(path, (request, reply) => reply.type(asset.type).send(asset.body));

app.get('/', (request, reply) => reply.redirect(request.auth ? '/account' : '/login', 303));
app.get('/login', (request, reply) => page(reply, loginPage({ notice: request.query.signed_out ? 'You are signed out.' : undefined })));
app.post('/login', async (request, reply) => {
  const userId = await user.verify(request.body?.username, request.body?.password);
  if (!userId) return page(reply, loginPage({ error: 'Wrong username or password.', username: request.body?.username }), 401);
  try {
    await reply.signIn({ userId, data: { name: user.username } }); // sets the session and refresh cookies
  } catch (error) {
    // latchkey's CSRF check covers sign-in too: a cross-site form must not sign this browser in (login CSRF)
    if (isLoginCsrf(error)) return page(reply, messagePage({ title: 'Refused', message: 'Cross-site sign-in refused.' }), 403);
    throw error;
  }
  return reply.redirect('/account', 303);
});

app.get('/account', { preHandler: signedIn }, async (request, reply) =>
  page(reply, accountPage({ auth: request.auth, session: await auth.sessions.get(request.auth.sessionId) })),
);
app.get('/devices', { preHandler: signedIn }, async (request, reply) => {
  const sessions = await auth.sessions.list(request.auth.userId);
  const notice = request.query.ended !== undefined ? `Signed out ${Number(request.query.ended)} other device(s).` : undefined;
  return page(reply, devicesPage({ auth: request.auth, sessions, notice }));
});
app.post('/devices/sign-out-others', { preHandler: app.requireAuth() }, async (request, reply) => {
  const ended = await auth.signOutEverywhere(request.auth.userId, { except: request.auth.sessionId });
  return reply.redirect(`/devices?ended=${ended}`, 303);
});

app.get('/app', (request, reply) => page(reply, appPage({ auth: request.auth })));
app.get('/api/me', { preHandler: app.requireAuth() }, (request) => ({ userId: request.auth.userId, name: request.auth.data?.name, via: request.auth.via }));
app.post('/auth/refresh', app.latchkey.refresh()); // 200 { accessToken, expiresIn } + rotated refresh cookie
app.post('/auth/logout', app.latchkey.signOut()); // 204 + cleared cookies (for scripts)
app.post('/logout', async (request, reply) => {
  await reply.signOut(); // the form's sign-out: end the session, clear the cookies, back to sign-in
  return reply.redirect('/login?signed_out=1', 303);
});

app.setErrorHandler((error, request, reply) => {
  if (!isAuthError(error)) return reply.send(error);
  return page(reply, messagePage({ title: 'Refused', message: error.message }), error.status);
});

await app.listen({ port: config.port, host: config.host });
printBanner({ framework: 'Fastify', port: app.server.address().port, user, storeLabel: demo.storeLabel, accessTtl: config.accessTtl });
closeOnSignal(app.server, demo);
