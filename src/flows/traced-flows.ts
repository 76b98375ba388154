// The flows as createAuth hands them out: each publishes on its tracing channel (src/core/tracing.ts) while
// someone subscribes, and is the bare flow otherwise (one `hasSubscribers` check, nothing allocated).
import type { RefreshResult, Resolution, SignInInput, SignInResult } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { readCookie } from '../core/cookies.js';
import { trace, tracers, type TraceContext } from '../core/tracing.js';
import type { AuthContext, AuthRequest } from '../core/types.js';
import { isSessionId } from '../stores/rules/kit.js';
import { bearerToken } from '../core/bearer-header.js';
import { authenticate, resolve } from './authenticate.js';
import { refresh } from './refresh.js';
import { signIn } from './sign-in.js';
import { signOut, signOutEverywhere, signOutRequest } from './sign-out.js';

/** The credential a request presents to authenticate, read as the flow reads it (Bearer first); `undefined` for none or a malformed request. */
function presented(ctx: Context, tk: TokenContext | null, request: AuthRequest): TraceContext['via'] {
  try {
    if (tk && bearerToken(request) !== undefined) return 'bearer';
    return readCookie(request, ctx.options.cookies.sessionName) !== undefined ? 'cookie' : undefined;
  } catch {
    return undefined; // the flow itself reports what is wrong with the request
  }
}

/** An authenticate context, fresh per call (subscribers may keep it). */
function authenticateContext(ctx: Context, tk: TokenContext | null, request: AuthRequest): TraceContext {
  const via = presented(ctx, tk, request);
  return via === undefined ? { operation: 'authenticate' } : { operation: 'authenticate', via };
}

/** Fills the context from an AuthContext (or `null`: nothing presented). */
function authenticated(context: TraceContext, auth: AuthContext | null): void {
  if (auth === null) {
    context.outcome = 'anonymous';
    return;
  }
  context.outcome = 'ok';
  context.via = auth.via;
  context.userId = auth.userId;
  context.sessionId = auth.sessionId;
}

/** `authenticate`, traced on `latchkey:authenticate`. */
export function tracedAuthenticate(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<AuthContext | null> {
  if (!tracers.authenticate.hasSubscribers) return authenticate(ctx, tk, request);
  return trace(tracers.authenticate, authenticateContext(ctx, tk, request), () => authenticate(ctx, tk, request), authenticated);
}

/** `resolve`, traced on `latchkey:authenticate` like `authenticate`: a refused credential publishes `error` though it resolves. Settled at once where the flow is. */
export function tracedResolve(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<Resolution> {
  if (!tracers.authenticate.hasSubscribers) return resolve(ctx, tk, request);
  return trace(tracers.authenticate, authenticateContext(ctx, tk, request), () => resolve(ctx, tk, request), (context, resolution) => {
    if (resolution.error === null) return authenticated(context, resolution.auth);
    context.outcome = 'refused';
    context.code = resolution.error.code;
    context.error = resolution.error;
  });
}

/** `signIn`, traced on `latchkey:sign-in`. */
export function tracedSignIn(ctx: Context, tk: TokenContext | null, input: SignInInput): Promise<SignInResult<boolean>> {
  if (!tracers.signIn.hasSubscribers) return signIn(ctx, tk, input);
  return trace(tracers.signIn, { operation: 'sign-in' }, () => signIn(ctx, tk, input), (context, result) => {
    context.outcome = 'ok';
    context.userId = result.session.userId;
    context.sessionId = result.session.id;
  });
}

/** `refresh`, traced on `latchkey:refresh` (`via: 'cookie'` when the token comes from the refresh cookie). */
export function tracedRefresh(tk: TokenContext, input: AuthRequest | { refreshToken: string }): Promise<RefreshResult> {
  if (!tracers.refresh.hasSubscribers) return refresh(tk, input);
  let fromCookie = false;
  try {
    fromCookie = typeof (input as { refreshToken?: unknown }).refreshToken !== 'string' && readCookie(input as AuthRequest, tk.options.cookies.refreshName) !== undefined;
  } catch {
    // a malformed input: the flow reports it
  }
  const context: TraceContext = fromCookie ? { operation: 'refresh', via: 'cookie' } : { operation: 'refresh' };
  return trace(tracers.refresh, context, () => refresh(tk, input), (done, result) => {
    done.outcome = 'ok';
    done.userId = result.session.userId;
    done.sessionId = result.session.id;
  });
}

/** `signOut`, traced on `latchkey:sign-out` (`count`: 1 when the session existed). */
export function tracedSignOut(ctx: Context, sessionId: string): Promise<boolean> {
  if (!tracers.signOut.hasSubscribers) return signOut(ctx, sessionId);
  // only a well-formed id goes into the context: an app that passes a cookie value by mistake must not publish its secret
  const context: TraceContext = isSessionId(sessionId) ? { operation: 'sign-out', sessionId } : { operation: 'sign-out' };
  return trace(tracers.signOut, context, () => signOut(ctx, sessionId), (done, existed) => {
    done.outcome = 'ok';
    done.count = existed ? 1 : 0;
  });
}

/** `signOutRequest`, traced on `latchkey:sign-out` (`sessionId`: the session the request named, if any). */
export function tracedSignOutRequest(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<{ sessionId: string | null; setCookies: string[] }> {
  if (!tracers.signOut.hasSubscribers) return signOutRequest(ctx, tk, request);
  return trace(tracers.signOut, { operation: 'sign-out' }, () => signOutRequest(ctx, tk, request), (done, result) => {
    done.outcome = 'ok';
    if (result.sessionId !== null) done.sessionId = result.sessionId;
  });
}

/** `signOutEverywhere`, traced on `latchkey:sign-out` (`userId`, and `count`: how many ended). */
export function tracedSignOutEverywhere(ctx: Context, userId: string, options?: { except?: string }): Promise<number> {
  if (!tracers.signOut.hasSubscribers) return signOutEverywhere(ctx, userId, options);
  return trace(tracers.signOut, { operation: 'sign-out' }, () => signOutEverywhere(ctx, userId, options), (done, count) => {
    done.outcome = 'ok';
    done.userId = userId;
    done.count = count;
  });
}
