// GET /api/me: a protected API (session cookie or Bearer access token) -> 200 { userId, name, via }, or 401/403.
import { lk } from '../../../lib/auth';

const requireAuth = lk.requireAuth();

export async function GET(request: Request): Promise<Response> {
  const who = await requireAuth(request);
  if (who instanceof Response) return who;
  const name = who.via === 'cookie' ? who.data.name : undefined;
  return Response.json({ userId: who.userId, name, via: who.via }, { headers: { 'cache-control': 'no-store' } });
}
