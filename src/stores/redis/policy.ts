// The Redis store's startup check of the memory policy: what Redis may evict decides whether sessions can
// vanish under memory pressure. Read with CONFIG GET where permitted, else INFO memory (managed services).
import type { Cluster, Redis } from 'ioredis';

/** What the store found about Redis' memory policy. */
export interface PolicyReport {
  /** `maxmemory-policy`, or `null` when neither CONFIG GET nor INFO could be read. */
  policy: string | null;
  /** `maxmemory` in bytes (0: no limit), or `null` when unknown. */
  maxmemory: number | null;
  /** True when Redis will never evict a key: no limit, or `noeviction`. */
  safe: boolean;
  /** Why it is not safe, and what to change; empty when safe. */
  reason: string;
}

async function readConfig(client: Redis | Cluster): Promise<{ policy: string | null; maxmemory: number | null }> {
  try {
    const pairs = (await client.call('CONFIG', 'GET', 'maxmemory*')) as string[];
    const config = new Map<string, string>();
    for (let i = 0; i + 1 < pairs.length; i += 2) config.set(pairs[i]!, pairs[i + 1]!);
    if (config.has('maxmemory-policy')) return { policy: config.get('maxmemory-policy')!, maxmemory: Number(config.get('maxmemory') ?? 'NaN') };
  } catch {
    // CONFIG is often renamed or denied on managed Redis: fall back to INFO
  }
  try {
    const info = await client.info('memory');
    const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    return { policy: field('maxmemory_policy') ?? null, maxmemory: field('maxmemory') === undefined ? null : Number(field('maxmemory')) };
  } catch {
    return { policy: null, maxmemory: null };
  }
}

/** Reads the policy and says whether Redis may evict the store's keys (all of them carry a TTL). */
export async function checkPolicy(client: Redis | Cluster): Promise<PolicyReport> {
  const { policy, maxmemory } = await readConfig(client);
  if (policy === null) {
    return { policy, maxmemory, safe: false, reason: 'latchkey: could not read maxmemory-policy (CONFIG GET and INFO denied); make sure it is noeviction, see docs/redis.md.' };
  }
  if (policy === 'noeviction' || maxmemory === 0) return { policy, maxmemory, safe: true, reason: '' };
  return {
    policy,
    maxmemory,
    safe: false,
    reason:
      `latchkey: Redis maxmemory-policy is ${policy} with maxmemory ${maxmemory ?? 'unknown'}: under memory pressure Redis evicts session keys ` +
      '(every latchkey key has a TTL, so volatile-* policies evict them too) and users are signed out early. No session stays reachable ' +
      'once its index entry is evicted, so sign-out everywhere still holds. Set maxmemory-policy noeviction (sign-ins then answer 503 when full), see docs/redis.md.',
  };
}
