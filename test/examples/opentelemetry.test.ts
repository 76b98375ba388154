// examples/opentelemetry/tracing.mjs on the OpenTelemetry SDK: spans per operation with the expected names,
// parents and attributes (exported by the in-memory span exporter), and the metrics (outcomes, store
// latency, store up, revocation lag) read by a metric reader.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, type Auth, type SessionStore } from '../../src/entries/index.js';
import type { StoreBroadcast } from '../../src/entries/store.js';
import { brokenStore, setup, type Setup } from '../security/support.js';

interface Example {
  instrumentLatchkey(options: { tracer: unknown; meter: unknown; auth?: Pick<Auth, 'health'>; identifiers?: boolean }): () => void;
}

/** A reader the test collects from on demand. */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let reader: TestReader;
let stop: () => void;
let example: Example;

beforeAll(async () => {
  const path = '../../examples/opentelemetry/tracing.mjs';
  example = (await import(path)) as Example;
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

/** Instruments latchkey with a fresh meter and reader; spans go to the shared in-memory exporter. */
function instrument(options: { auth?: Pick<Auth, 'health'>; identifiers?: boolean } = {}): void {
  reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  stop = example.instrumentLatchkey({ tracer: tracerProvider.getTracer('test'), meter: meterProvider.getMeter('test'), ...options });
}

beforeEach(() => exporter.reset());
afterEach(() => stop?.());

async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
}

const points = (metric: MetricData | undefined): DataPoint<unknown>[] => (metric?.dataPoints ?? []) as DataPoint<unknown>[];
const span = (name: string): ReadableSpan => {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  expect(found.length, `spans named ${name}`).toBeGreaterThan(0);
  return found.at(-1)!;
};
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe('examples/opentelemetry/tracing.mjs', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup({ accessToken: { checkSession: true } });
  });

  it('spans per operation with the expected names and attributes; store spans are children of their operation, operations of the active span', async () => {
    instrument();
    const user = await s.auth.signIn({ userId: '50' });
    const app = tracerProvider.getTracer('app');
    const request = app.startSpan('GET /me');
    await context.with(trace.setSpan(context.active(), request), () => s.auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${user.accessToken}` } }));
    request.end();
    await s.auth.authenticate({ method: 'GET', headers: { cookie: `${s.auth.cookies.session}=${user.sessionToken}` } });
    const next = await s.auth.refresh({ refreshToken: user.refreshToken });
    await s.auth.signOut(next.session.id);

    expect(span('latchkey.sign-in').attributes).toEqual({ 'latchkey.operation': 'sign-in', 'latchkey.outcome': 'ok', 'user.id': '50', 'session.id': user.session.id });
    const [bearer, cookie] = exporter.getFinishedSpans().filter((x) => x.name === 'latchkey.authenticate');
    expect(bearer!.attributes).toEqual({ 'latchkey.operation': 'authenticate', 'latchkey.via': 'bearer', 'latchkey.outcome': 'ok', 'user.id': '50', 'session.id': user.session.id });
    expect(cookie!.attributes).toMatchObject({ 'latchkey.via': 'cookie', 'latchkey.outcome': 'ok' });
    expect(parentOf(bearer!)).toBe(request.spanContext().spanId); // under the app's request span
    expect(span('latchkey.refresh').attributes).toEqual({ 'latchkey.operation': 'refresh', 'latchkey.outcome': 'ok', 'user.id': '50', 'session.id': user.session.id });
    expect(span('latchkey.sign-out').attributes).toEqual({ 'latchkey.operation': 'sign-out', 'latchkey.outcome': 'ok', 'latchkey.count': 1, 'session.id': user.session.id });

    const stores = exporter.getFinishedSpans().filter((x) => x.name.startsWith('latchkey.store.'));
    expect(stores.map((x) => x.name)).toEqual(['latchkey.store.create', 'latchkey.store.get', 'latchkey.store.get', 'latchkey.store.advanceRefresh', 'latchkey.store.get', 'latchkey.store.delete']); // sign-out reads the record for its audit event
    const byId = new Map(exporter.getFinishedSpans().map((x) => [x.spanContext().spanId, x]));
    expect(stores.map((x) => byId.get(parentOf(x)!)?.name)).toEqual(['latchkey.sign-in', 'latchkey.authenticate', 'latchkey.authenticate', 'latchkey.refresh', 'latchkey.sign-out', 'latchkey.sign-out']);
    expect(stores[3]!.attributes).toEqual({ 'latchkey.operation': 'store', 'latchkey.store.method': 'advanceRefresh', 'latchkey.outcome': 'ok' });
  });

  it('a theft alarm and a refusal: the span carries the code; a refusal is not a span error', async () => {
    instrument();
    const user = await s.auth.signIn({ userId: '50' });
    const second = await s.auth.refresh({ refreshToken: user.refreshToken });
    s.clock.advance(60_000);
    await s.auth.refresh({ refreshToken: second.refreshToken });
    s.clock.advance(60_000);
    await expect(s.auth.refresh({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: 'refresh_reused' });
    const theft = span('latchkey.refresh');
    expect(theft.attributes).toEqual({ 'latchkey.operation': 'refresh', 'latchkey.outcome': 'refused', 'latchkey.error.code': 'refresh_reused' });
    expect(theft.status.code).toBe(0); // UNSET: a refusal is an answer, not a failure
    const counted = points((await collect()).get('latchkey.operations'));
    expect(counted.find((p) => p.attributes['latchkey.error.code'] === 'refresh_reused')?.value).toBe(1);
    expect(counted.filter((p) => p.attributes['latchkey.operation'] === 'refresh' && p.attributes['latchkey.outcome'] === 'ok').map((p) => p.value)).toEqual([2]);
  });

  it('a store outage: failed spans with status ERROR and store_unavailable, on the operation and the store call; store up 0', async () => {
    const broken = { on: false };
    const outage = await setup({ store: brokenStore(memoryStore({ now: () => clock.now() }), broken) });
    const clock = outage.clock;
    instrument({ auth: outage.auth });
    const user = await outage.auth.signIn({ userId: '50' });
    broken.on = true;
    await expect(outage.auth.authenticate({ method: 'GET', headers: { cookie: `${outage.auth.cookies.session}=${user.sessionToken}` } })).rejects.toMatchObject({ code: 'store_unavailable' });
    const failed = span('latchkey.authenticate');
    expect(failed.attributes).toEqual({ 'latchkey.operation': 'authenticate', 'latchkey.via': 'cookie', 'latchkey.outcome': 'failed', 'latchkey.error.code': 'store_unavailable' });
    expect(failed.status).toEqual({ code: 2, message: 'store_unavailable' }); // ERROR
    expect(failed.events.map((e) => e.name)).toEqual(['exception']);
    expect(JSON.stringify(failed.events)).not.toContain('ECONNREFUSED'); // the driver's error (the cause) stays out
    expect(span('latchkey.store.get').status.code).toBe(2);
    const metrics = await collect();
    expect(points(metrics.get('latchkey.store.up')).map((p) => p.value)).toEqual([0]);
    expect(points(metrics.get('latchkey.revocation.lag'))).toEqual([]); // the memory store has no channel
    const storeLatency = points(metrics.get('latchkey.store.duration')) as DataPoint<Histogram>[];
    expect(storeLatency.find((p) => p.attributes['latchkey.store.method'] === 'get' && p.attributes['latchkey.error.code'] === 'store_unavailable')?.value.count).toBeGreaterThanOrEqual(2); // the request, the probe
    expect(storeLatency.find((p) => p.attributes['latchkey.store.method'] === 'create' && p.attributes['latchkey.outcome'] === 'ok')?.value.count).toBe(1);
  });

  it('metrics: operation outcomes and latency, store latency, store up and revocation lag from auth.health()', async () => {
    const lag = { value: Infinity };
    const inner = memoryStore();
    const store: SessionStore = {
      ...brokenStore(inner, { on: false }),
      subscribe: (_listener: (message: StoreBroadcast | null) => void) => () => {},
      broadcastLag: () => lag.value,
    };
    const withChannel = await setup({ store, accessToken: { checkSession: true } });
    instrument({ auth: withChannel.auth });
    const user = await withChannel.auth.signIn({ userId: '50' });
    await withChannel.auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${user.accessToken}` } });
    await withChannel.auth.authenticate({ method: 'GET', headers: { authorization: 'Bearer nope' } }).catch(() => {});
    await withChannel.auth.authenticate({ method: 'GET', headers: {} });
    let metrics = await collect();
    const outcomes = points(metrics.get('latchkey.operations')).map((p) => [p.attributes['latchkey.operation'], p.attributes['latchkey.outcome'], p.attributes['latchkey.error.code'], p.value]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ['sign-in', 'ok', undefined, 1],
        ['authenticate', 'ok', undefined, 1],
        ['authenticate', 'refused', 'token_invalid', 1],
        ['authenticate', 'anonymous', undefined, 1],
      ]),
    );
    const latency = points(metrics.get('latchkey.operation.duration')) as DataPoint<Histogram>[];
    expect(latency.reduce((n, p) => n + p.value.count, 0)).toBe(4);
    expect(metrics.get('latchkey.operation.duration')?.descriptor.unit).toBe('ms');
    expect(points(metrics.get('latchkey.store.up')).map((p) => p.value)).toEqual([1]);
    expect(points(metrics.get('latchkey.revocation.confirmed')).map((p) => p.value)).toEqual([0]); // not yet confirmed
    expect(points(metrics.get('latchkey.revocation.lag'))).toEqual([]);
    lag.value = 250;
    metrics = await collect();
    expect(points(metrics.get('latchkey.revocation.confirmed')).map((p) => p.value)).toEqual([1]);
    expect(points(metrics.get('latchkey.revocation.lag')).map((p) => p.value)).toEqual([250]);
  });

  it('identifiers: false leaves user and session ids out; after stop() nothing is recorded', async () => {
    instrument({ identifiers: false });
    await s.auth.signIn({ userId: '50' });
    expect(span('latchkey.sign-in').attributes).toEqual({ 'latchkey.operation': 'sign-in', 'latchkey.outcome': 'ok' });
    stop();
    exporter.reset();
    await s.auth.signIn({ userId: '51' });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
