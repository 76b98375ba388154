// A Server Component that reads the session through cookies(). It can read cookies but never set them
// (Next.js forbids Set-Cookie while rendering), so a stale cookie is only treated as "signed out" here;
// the route handlers are where latchkey's Set-Cookie lines are sent.
import { cookies } from 'next/headers';
import { auth } from '../lib/auth';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const jar = await cookies();
  const { auth: who } = await auth.resolve({ method: 'GET', headers: { cookie: jar.toString() } });
  if (!who) {
    return (
      <main>
        <h1>Sign in</h1>
        <form method="post" action="/api/auth/sign-in">
          <input name="username" defaultValue="demo" autoComplete="username" />
          <input name="password" type="password" autoComplete="current-password" />
          <button type="submit" id="sign-in">Sign in</button>
        </form>
      </main>
    );
  }
  const session = await auth.sessions.get(who.sessionId);
  return (
    <main>
      <h1 id="signed-in">Signed in as {String(session?.data.name ?? who.userId)}</h1>
      <p>Session {who.sessionId.slice(0, 8)}…, via {who.via}.</p>
      <form method="post" action="/api/auth/sign-out">
        <button type="submit" id="sign-out">Sign out</button>
      </form>
    </main>
  );
}
