// The express-session peer's routes, shared by bench/http-server.mjs (memory, connect-redis) and
// bench/postgres-server.mjs (connect-pg-simple), so every store is measured behind the same app.

/** The user every benchmark signs in. */
export const USER = { userId: 'user-1', data: { role: 'admin' } };

/** Mounts express-session (the settings its README recommends for a login session) with /login and /me. */
export async function mountExpressSession(app, store) {
  const { default: session } = await import('express-session');
  app.use(session({ secret: 'bench-secret-bench-secret-bench-secret', resave: false, saveUninitialized: false, ...(store ? { store } : {}) }));
  app.post('/login', (req, res) => {
    req.session.userId = USER.userId;
    req.session.data = USER.data;
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    if (!req.session.userId) return res.status(401).json({ error: 'credentials_missing' });
    res.json({ userId: req.session.userId });
  });
}
