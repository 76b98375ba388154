// The one Auth of the Next.js example, shared by its route handlers and its Server Components.
// Route handlers and pages run in the same Node.js server process, so the default memory store works
// there; a proxy (middleware) is bundled apart and would need a shared store (Redis, PostgreSQL).
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { createAuth, type Auth } from 'latchkey';
import { latchkey, type FetchLatchkey } from 'latchkey/fetch';

interface Demo {
  auth: Auth<true>;
  lk: FetchLatchkey<true>;
}

function createDemo(): Demo {
  const auth = createAuth({
    // HS256 from a 32+ byte secret (bytes, never a string): set LATCHKEY_SECRET in production to 32 random bytes in
    // base64url, e.g. `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"` (the `k`
    // member of the JWK that `npx latchkey keygen --alg HS256` prints is the same kind of value).
    keys: [process.env.LATCHKEY_SECRET ? Buffer.from(process.env.LATCHKEY_SECRET, 'base64url') : randomBytes(32)],
    issuer: 'http://localhost',
    audience: 'latchkey-nextjs',
    // The refresh cookie is scoped to the route handler that rotates it.
    refreshToken: { path: '/api/auth/refresh' },
  }) as Auth<true>;
  return { auth, lk: latchkey(auth) };
}

// Dev mode reloads modules; keep one Auth (and its sessions) per process.
const cache = globalThis as { latchkeyNextDemo?: Demo };
const demo = (cache.latchkeyNextDemo ??= createDemo());
export const auth = demo.auth;
export const lk = demo.lk;

const DEMO_USER = { id: 'user-1', username: 'demo', salt: randomBytes(16) };
const DEMO_HASH = scryptSync(process.env.DEMO_PASSWORD ?? 'latchkey-demo', DEMO_USER.salt, 32);

/** The demo user's id when the username and password match (scrypt, constant-time), otherwise `null`. */
export function verifyUser(username: unknown, password: unknown): string | null {
  if (typeof username !== 'string' || typeof password !== 'string' || password.length > 1024) return null;
  const passwordOk = timingSafeEqual(scryptSync(password, DEMO_USER.salt, 32), DEMO_HASH);
  return passwordOk && username === DEMO_USER.username ? DEMO_USER.id : null;
}

/** The sign-in fields of a JSON or form body; `null` when the body is neither (the caller answers 400). */
export async function readCredentials(request: Request): Promise<{ username: unknown; password: unknown; form: boolean } | null> {
  const type = request.headers.get('content-type') ?? '';
  try {
    if (type.startsWith('application/json')) {
      const body: unknown = await request.json();
      if (typeof body !== 'object' || body === null) return null;
      const { username, password } = body as Record<string, unknown>;
      return { username, password, form: false };
    }
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      const body = await request.formData();
      return { username: body.get('username'), password: body.get('password'), form: true };
    }
  } catch {
    return null; // a body that does not parse is the client's mistake: 400, not 500
  }
  return null;
}
