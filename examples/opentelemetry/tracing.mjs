// latchkey -> OpenTelemetry: spans and metrics from latchkey's diagnostics_channel tracing channels, through
// @opentelemetry/api only (your SDK setup decides where they go). latchkey itself depends on no OpenTelemetry
// package; copy this file into your app. See docs/observability.md.
//
//   import { instrumentLatchkey } from './tracing.mjs';
//   const stop = instrumentLatchkey({ auth });   // after your OpenTelemetry SDK is started
//
// Spans: `latchkey.authenticate`, `latchkey.sign-in`, `latchkey.refresh`, `latchkey.sign-out`, and
// `latchkey.store.<method>` as children of the operation that made the call (or of whatever span is active).
// Metrics: `latchkey.operations` (counter, by operation, outcome, error code, via), `latchkey.operation.duration`
// and `latchkey.store.duration` (ms histograms), and with `auth`: `latchkey.store.up` (1/0),
// `latchkey.revocation.lag` (ms, while the channel is confirmed) and `latchkey.revocation.confirmed` (1/0).
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const OPERATIONS = ['authenticate', 'sign-in', 'refresh', 'sign-out'];

/** The span attributes of a latchkey trace context (ids only when `identifiers`). */
function attributesOf(ctx, identifiers) {
  const attributes = { 'latchkey.operation': ctx.operation };
  if (ctx.via !== undefined) attributes['latchkey.via'] = ctx.via;
  if (ctx.method !== undefined) attributes['latchkey.store.method'] = ctx.method;
  if (ctx.outcome !== undefined) attributes['latchkey.outcome'] = ctx.outcome;
  if (ctx.code !== undefined) attributes['latchkey.error.code'] = ctx.code;
  if (ctx.count !== undefined) attributes['latchkey.count'] = ctx.count;
  if (identifiers && ctx.userId !== undefined) attributes['user.id'] = ctx.userId;
  if (identifiers && ctx.sessionId !== undefined) attributes['session.id'] = ctx.sessionId;
  return attributes;
}

/**
 * Subscribes to latchkey's tracing channels and records spans and metrics through `@opentelemetry/api`.
 * Returns a function that unsubscribes. `identifiers: false` leaves user and session ids out of spans.
 * @param {{ tracer?: import('@opentelemetry/api').Tracer, meter?: import('@opentelemetry/api').Meter, auth?: { health(): Promise<{ store: 'up' | 'down', revocationLag: number | null }> }, identifiers?: boolean }} [options]
 * @returns {() => void}
 */
export function instrumentLatchkey(options = {}) {
  const tracer = options.tracer ?? trace.getTracer('latchkey');
  const meter = options.meter ?? metrics.getMeter('latchkey');
  const identifiers = options.identifiers ?? true;
  const operations = meter.createCounter('latchkey.operations', { description: 'latchkey operations by outcome and error code' });
  const operationDuration = meter.createHistogram('latchkey.operation.duration', { unit: 'ms', description: 'latchkey operation latency' });
  const storeDuration = meter.createHistogram('latchkey.store.duration', { unit: 'ms', description: 'latchkey store call latency' });

  /** The operation span in progress: store spans become its children. */
  const current = new AsyncLocalStorage();
  const spans = new WeakMap();
  const undo = [];

  function begin(ctx, name) {
    const parentSpan = ctx.operation === 'store' ? current.getStore() : undefined;
    const parent = parentSpan ? trace.setSpan(context.active(), parentSpan) : context.active();
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: attributesOf(ctx, identifiers) }, parent);
    spans.set(ctx, { span, started: performance.now() });
    return span;
  }

  function finish(ctx) {
    const entry = spans.get(ctx);
    if (!entry) return;
    spans.delete(ctx);
    const { span, started } = entry;
    const elapsed = performance.now() - started;
    span.setAttributes(attributesOf(ctx, identifiers));
    if (ctx.outcome === 'failed') {
      // an AuthError's message is fixed per code; its cause (a driver's error) is left out on purpose
      span.recordException({ name: ctx.error?.name ?? 'Error', message: ctx.error?.message ?? String(ctx.code ?? 'error') });
      span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.code ?? 'error' });
    }
    span.end();
    const outcome = { 'latchkey.outcome': ctx.outcome ?? 'failed', ...(ctx.code !== undefined && { 'latchkey.error.code': ctx.code }) };
    if (ctx.operation === 'store') {
      storeDuration.record(elapsed, { 'latchkey.store.method': ctx.method, ...outcome });
      return;
    }
    operationDuration.record(elapsed, { 'latchkey.operation': ctx.operation, ...outcome });
    operations.add(1, { 'latchkey.operation': ctx.operation, ...outcome, ...(ctx.via !== undefined && { 'latchkey.via': ctx.via }) });
  }

  for (const operation of [...OPERATIONS, 'store']) {
    const channel = tracingChannel(`latchkey:${operation}`);
    // the span starts in start's bound store, so the calls the operation makes run with it as their parent
    const transform = operation === 'store' ? (ctx) => begin(ctx, `latchkey.store.${ctx.method}`) : (ctx) => begin(ctx, `latchkey.${operation}`);
    channel.start.bindStore(current, transform);
    const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd: finish, error() {} };
    channel.subscribe(handlers);
    undo.push(() => {
      channel.unsubscribe(handlers);
      channel.start.unbindStore(current);
    });
  }

  if (options.auth) {
    const auth = options.auth;
    const up = meter.createObservableGauge('latchkey.store.up', { description: '1 while the session store answers a probe' });
    const lag = meter.createObservableGauge('latchkey.revocation.lag', { unit: 'ms', description: 'ms since the revocation channel was last confirmed' });
    const confirmed = meter.createObservableGauge('latchkey.revocation.confirmed', { description: '1 while the revocation channel is confirmed' });
    const observe = async (result) => {
      const health = await auth.health();
      result.observe(up, health.store === 'up' ? 1 : 0);
      if (health.revocationLag === null) return; // no channel: nothing to lag
      const known = Number.isFinite(health.revocationLag);
      result.observe(confirmed, known ? 1 : 0);
      if (known) result.observe(lag, health.revocationLag);
    };
    meter.addBatchObservableCallback(observe, [up, lag, confirmed]);
    undo.push(() => meter.removeBatchObservableCallback(observe, [up, lag, confirmed]));
  }

  return () => {
    for (const step of undo.splice(0)) step();
  };
}
