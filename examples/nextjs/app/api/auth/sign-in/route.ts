// POST /api/auth/sign-in: JSON { username, password } -> 200 { accessToken, expiresIn }, or a form post -> 303 to /.
// Both latchkey cookies are set on the response by lk.handler().
import { lk, readCredentials, verifyUser } from '../../../../lib/auth';

export const POST = lk.handler(async (request) => {
  const credentials = await readCredentials(request);
  if (!credentials) return Response.json({ error: 'bad_request' }, { status: 400 });
  const userId = verifyUser(credentials.username, credentials.password);
  if (!userId) return Response.json({ error: 'invalid_credentials' }, { status: 401 });
  const result = await lk.signIn(request, { userId, data: { name: String(credentials.username) } });
  if (credentials.form) return new Response(null, { status: 303, headers: { location: '/' } });
  return Response.json({ accessToken: result.accessToken, expiresIn: result.expiresIn }, { headers: { 'cache-control': 'no-store' } });
});
