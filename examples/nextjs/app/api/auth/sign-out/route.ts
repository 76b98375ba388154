// POST /api/auth/sign-out: ends the session and clears both cookies -> 204, or 303 to / for the page's form.
import { lk } from '../../../../lib/auth';

export async function POST(request: Request): Promise<Response> {
  const answer = await lk.signOut(request);
  const fromForm = (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  if (answer.status !== 204 || !fromForm) return answer;
  const back = new Response(null, { status: 303, headers: { location: '/' } });
  for (const line of answer.headers.getSetCookie()) back.headers.append('set-cookie', line);
  return back;
}
