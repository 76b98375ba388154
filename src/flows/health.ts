// auth.health(): is the store answering, and how fresh is the revocation channel, for readiness probes.
import type { Health, HealthOptions } from '../core/auth-api.js';
import type { Context } from '../core/context.js';
import { parseDuration } from '../core/duration.js';
import { newSessionId } from '../core/sessions.js';

/** Default bound of the store probe; a store's own timeout (Redis `commandTimeout`, 1 s) usually ends it first. */
const PROBE_TIMEOUT = '1s';

/** True when a `get` of an id nobody holds answers within `timeout` ms; never throws. */
function probe(ctx: Context, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeout);
    timer.unref?.();
    // a random, valid-shaped id: one cheap read the store answers with null (through ctx.io: traced as a store `get`)
    ctx.io((s) => s.get(newSessionId())).then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/** The store's state by a bounded probe, and the revocation channel's lag (`null` when this Auth listens to none). */
export async function health(ctx: Context, options: HealthOptions = {}): Promise<Health> {
  const timeout = parseDuration(options.timeout ?? PROBE_TIMEOUT, 'health timeout');
  const up = await probe(ctx, timeout);
  return { store: up ? 'up' : 'down', revocationLag: ctx.check.lag() };
}
