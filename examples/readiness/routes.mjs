// Readiness routes on auth.health(): 503 while the session store is down or the revocation channel is not
// confirmed within a bound, 200 otherwise. Copy the part for your framework. See docs/observability.md.
//
//   app.get('/health/ready', expressReadiness(auth, { maxLag: 5000 }));          // Express
//   app.get('/health/ready', fastifyReadiness(auth, { maxLag: 5000 }));          // Fastify
//   app.get('/health/ready', honoReadiness(auth, { maxLag: 5000 }));             // Hono

/**
 * The readiness answer: 200 when the store is up and the revocation lag (if this Auth listens to a channel)
 * is within `maxLag` ms; 503 otherwise. The body says which (`revocationLag: 'unconfirmed'` while the channel
 * has never been confirmed: JSON has no Infinity).
 * @param {{ health(): Promise<{ store: 'up' | 'down', revocationLag: number | null }> }} auth
 * @param {{ maxLag?: number }} [options]
 */
export async function readiness(auth, options = {}) {
  const maxLag = options.maxLag ?? 5000;
  const { store, revocationLag } = await auth.health();
  const ready = store === 'up' && (revocationLag === null || revocationLag <= maxLag);
  const lag = revocationLag === null || Number.isFinite(revocationLag) ? revocationLag : 'unconfirmed';
  return { status: ready ? 200 : 503, body: { ready, store, revocationLag: lag } };
}

/** Express: `app.get('/health/ready', expressReadiness(auth))`. */
export function expressReadiness(auth, options) {
  return (_req, res, next) => {
    readiness(auth, options).then(({ status, body }) => res.status(status).set('cache-control', 'no-store').json(body), next);
  };
}

/** Fastify: `app.get('/health/ready', fastifyReadiness(auth))`. */
export function fastifyReadiness(auth, options) {
  return async (_request, reply) => {
    const { status, body } = await readiness(auth, options);
    return reply.code(status).header('cache-control', 'no-store').send(body);
  };
}

/** Hono: `app.get('/health/ready', honoReadiness(auth))`. */
export function honoReadiness(auth, options) {
  return async (c) => {
    const { status, body } = await readiness(auth, options);
    c.header('cache-control', 'no-store');
    return c.json(body, status);
  };
}
