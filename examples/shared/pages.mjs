// The HTML, CSS and browser script the three example servers share, so each server file holds only
// its framework's routing. Every value that came from a request is escaped before it reaches HTML.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHTML(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Headers every page carries: no inline script, no framing, no caching of signed-in pages. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const STYLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
body { max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
header { display: flex; gap: 1rem; align-items: center; border-bottom: 1px solid #d8dce3; padding-bottom: .75rem; }
header strong { margin-right: auto; }
header form { margin: 0; }
a { color: #2456c7; }
main { background: #fff; border: 1px solid #d8dce3; border-radius: 8px; padding: 1.25rem 1.5rem; margin-top: 1.25rem; }
label { display: block; margin: .6rem 0 .2rem; }
input { font: inherit; padding: .35rem .5rem; width: 16rem; }
button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #eceef2; font-size: .92rem; vertical-align: top; }
.notice { background: #eef6ee; border: 1px solid #b9dcb9; padding: .5rem .75rem; border-radius: 6px; }
.error { background: #fbeeee; border: 1px solid #e3b5b5; padding: .5rem .75rem; border-radius: 6px; }
.muted { color: #636b7a; font-size: .9rem; }
code { background: #eef0f4; padding: 0 .25rem; border-radius: 3px; }
[data-state="signed-in"] { color: #1d6b2a; }
[data-state="signed-out"] { color: #a12a2a; }
[data-state="unavailable"] { color: #8a5a00; }
`;

// The SPA's script, an ES module on latchkey/client. The client keeps the access token in a closure: never in
// localStorage, sessionStorage or a readable cookie. The refresh token is an HttpOnly cookie scoped to
// /auth/refresh: no script sees it. The client refreshes ahead of expiry and on a 401, once for all open tabs,
// and tells every tab when the user signed out or the server is temporarily unavailable.
const APP_JS = `
import { createClient } from '/latchkey-client.js';

const client = createClient({ refreshUrl: '/auth/refresh', signOutUrl: '/auth/logout' });
const $ = (id) => document.getElementById(id);
const changes = [];

function show(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

client.onChange((state) => {
  changes.push({ state, at: Date.now() });
  if (state === 'signed-out') show(state, 'Signed out: sign in again.');
  else if (state === 'unavailable') show(state, 'The server is temporarily unavailable; you are still signed in. Retrying…');
});

async function loadMe() {
  try {
    const res = await client.fetch('/api/me');
    if (res.ok) {
      const me = await res.json();
      show('signed-in', 'Signed in as ' + me.name + ' (API call at ' + new Date().toLocaleTimeString() + ')');
      return me;
    }
    if (res.status === 401) show('signed-out', 'Signed out: sign in again.');
    else show('unavailable', 'The server is temporarily unavailable (' + res.status + '); you are still signed in.');
  } catch {
    show('unavailable', 'The network is down; you are still signed in.');
  }
  return null;
}

async function signOut() {
  await client.signOut(); // every open tab hears it
  location.assign('/login?signed_out=1');
}

$('call').addEventListener('click', () => void loadMe());
$('spa-sign-out').addEventListener('click', () => void signOut());
// For the end-to-end tests and the curious: what the page did, never the token itself.
window.latchkeyDemo = { loadMe, signOut, client, changes };
void loadMe();
`;

// The browser build of latchkey/client, served as it is published (dist/client.js, found through the package's
// own exports map), without its source-map comment: the map is not served.
const CLIENT_JS = readFileSync(fileURLToPath(import.meta.resolve('latchkey/client')), 'utf8').replace(/\/\/# sourceMappingURL=\S*/g, '');

/** Static files the pages link to, by path. */
export const ASSETS = {
  '/style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/latchkey-client.js': { type: 'text/javascript; charset=utf-8', body: CLIENT_JS },
};

function layout({ title, auth, body }) {
  const nav = auth
    ? `<a href="/account">Account</a><a href="/devices">My devices</a><a href="/app">SPA page</a>
       <form method="post" action="/logout"><button type="submit" id="sign-out">Sign out</button></form>`
    : `<a href="/login">Sign in</a>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)} · latchkey demo</title><link rel="stylesheet" href="/style.css"></head>
<body>
<header><strong>latchkey demo</strong>${nav}</header>
<main>
${body}
</main>
</body>
</html>`;
}

/** The sign-in form. */
export function loginPage({ error, notice, username = '' } = {}) {
  return layout({
    title: 'Sign in',
    auth: null,
    body: `<h1>Sign in</h1>
${notice ? `<p class="notice" role="status">${escapeHTML(notice)}</p>` : ''}
${error ? `<p class="error" role="alert">${escapeHTML(error)}</p>` : ''}
<form method="post" action="/login">
  <label for="username">Username</label><input id="username" name="username" autocomplete="username" value="${escapeHTML(username)}" required>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <p><button type="submit">Sign in</button></p>
</form>
<p class="muted">The demo prints its username and password when it starts.</p>`,
  });
}

/** The protected page: who is signed in, and how. */
export function accountPage({ auth, session }) {
  const since = session ? new Date(session.createdAt).toISOString() : 'unknown';
  return layout({
    title: 'Account',
    auth,
    body: `<h1>Signed in as ${escapeHTML(auth.data?.name ?? auth.userId)}</h1>
<p>This page is protected: the server found your session from the <code>HttpOnly</code> session cookie
and looked it up in the store.</p>
<table>
  <tr><th>User id</th><td id="user-id">${escapeHTML(auth.userId)}</td></tr>
  <tr><th>Authenticated via</th><td>${escapeHTML(auth.via)}</td></tr>
  <tr><th>Signed in at</th><td>${escapeHTML(since)}</td></tr>
</table>
<p class="muted">Page scripts cannot read the session cookie: <code>document.cookie</code> is empty here.</p>`,
  });
}

/** "My devices": every live session of the user, with "sign out other devices". */
export function devicesPage({ auth, sessions, notice }) {
  const rows = sessions
    .map(
      (s) => `<tr data-session="${s.id === auth.sessionId ? 'current' : 'other'}">
    <td>${escapeHTML(s.meta.userAgent || 'unknown device')}${s.id === auth.sessionId ? ' <strong>(this device)</strong>' : ''}</td>
    <td>${escapeHTML(s.meta.ip ?? '')}</td>
    <td>${escapeHTML(new Date(s.createdAt).toISOString())}</td>
    <td>${escapeHTML(new Date(s.lastSeenAt).toISOString())}</td>
  </tr>`,
    )
    .join('\n');
  return layout({
    title: 'My devices',
    auth,
    body: `<h1>My devices</h1>
${notice ? `<p class="notice" role="status">${escapeHTML(notice)}</p>` : ''}
<p><span id="device-count">${sessions.length}</span> signed-in ${sessions.length === 1 ? 'device' : 'devices'}.</p>
<table>
  <tr><th>Device</th><th>IP</th><th>Signed in</th><th>Last seen</th></tr>
  ${rows}
</table>
<form method="post" action="/devices/sign-out-others">
  <p><button type="submit" id="sign-out-others">Sign out other devices</button></p>
</form>
<p class="muted">Their session cookies and refresh tokens stop working at once.</p>`,
  });
}

/** The SPA-style page: its script uses latchkey/client (token in memory, refresh ahead and on 401, every tab in step). */
export function appPage({ auth }) {
  return layout({
    title: 'SPA page',
    auth,
    body: `<h1>SPA page</h1>
<p id="status" data-state="loading" role="status">Loading…</p>
<p><button type="button" id="call">Call the API</button> <button type="button" id="spa-sign-out">Sign out (from script)</button></p>
<p class="muted">Access token: in memory only, sent as <code>Authorization: Bearer</code> by <code>latchkey/client</code>.
It calls <code>POST /auth/refresh</code> (HttpOnly cookie, path-scoped) ahead of expiry and on a 401, once for all open tabs,
and signs every tab out together.</p>
<script type="module" src="/app.js"></script>`,
  });
}

/** A short plain page for errors such as a refused cross-site form. */
export function messagePage({ title, message, auth = null }) {
  return layout({ title, auth, body: `<h1>${escapeHTML(title)}</h1><p>${escapeHTML(message)}</p>` });
}
