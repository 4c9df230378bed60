import 'reflect-metadata';
import { context, metrics, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { JobManager, MemoryJobStore, SmartAsync, withCallOptions, type SmartResult } from '../../src';
import { registerSmartTool } from '../../src/mcp';
import { ticketOf } from '../fixtures/ticket';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * OpenTelemetry with the SDK's in-memory exporters: a span per call and per background attempt,
 * parent and child across the switch (the work's own spans nest under the job span after it), a
 * new trace linked to the call for an attempt claimed from the queue, ERROR and the exception on
 * failure, the smart_async.* metrics. The provider is registered for this file only.
 */
const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const quiet = { onWarning: () => undefined, closeGraceMs: 50, claimIntervalMs: 50 };

test('without a provider: calls work and nothing is recorded', async () => {
  const m = new JobManager(new MemoryJobStore(), quiet);
  expect(await m.launch(async () => 7, { label: 'plain', timeoutMs: 1_000 })).toBe(7);
  await m.close();
  expect(spans.getFinishedSpans()).toHaveLength(0);
});

describe('with a provider', () => {
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    await sleep(1_100); // managers look for a provider again after a second
  });
  afterAll(() => {
    trace.disable();
    metrics.disable();
    context.disable();
  });
  afterEach(async () => {
    await closeHarnesses();
    spans.reset();
  });

  const named = (name: string): ReadableSpan[] => spans.getFinishedSpans().filter((s) => s.name === name);
  const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
  const tracer = trace.getTracer('app');

  test('an inline call: one call span, outcome inline, inside the caller’s own span', async () => {
    useHarness(quiet);
    class Svc {
      @SmartAsync({ timeoutMs: 1_000 })
      async quick(): Promise<SmartResult<number>> {
        tracer.startSpan('user.inside').end();
        return 1;
      }
    }
    await tracer.startActiveSpan('user.request', async (outer) => {
      expect(await new Svc().quick()).toBe(1);
      outer.end();
    });
    const [call] = named('smart_async.call Svc.quick');
    const [outer] = named('user.request');
    expect(call!.attributes).toMatchObject({ 'smart_async.label': 'Svc.quick', 'smart_async.outcome': 'inline' });
    expect(parentOf(call!)).toBe(outer!.spanContext().spanId);
    expect(parentOf(named('user.inside')[0]!)).toBe(call!.spanContext().spanId);
    expect(named('smart_async.job Svc.quick')).toHaveLength(0);
  });

  test('a switched call: call span (ticket) and job span (its child); the work’s spans before the switch under the call, after it under the job; a failure is ERROR with the exception', async () => {
    const { manager } = useHarness(quiet);
    class Svc {
      @SmartAsync({ timeoutMs: 50 })
      async slow(fail: boolean): Promise<SmartResult<string>> {
        tracer.startSpan('user.before').end();
        await sleep(150);
        tracer.startSpan('user.after').end();
        if (fail) throw new Error('report broke');
        return 'done';
      }
    }
    const ok = ticketOf(await new Svc().slow(false));
    await manager.wait(ok.job_id);
    const [call] = named('smart_async.call Svc.slow');
    const [job] = named('smart_async.job Svc.slow');
    expect(call!.attributes).toMatchObject({ 'smart_async.outcome': 'ticket', 'smart_async.job_id': ok.job_id });
    expect(job!.attributes).toMatchObject({ 'smart_async.job_id': ok.job_id, 'smart_async.attempt': 1, 'smart_async.status': 'completed' });
    expect(parentOf(job!)).toBe(call!.spanContext().spanId);
    expect(parentOf(named('user.before')[0]!)).toBe(call!.spanContext().spanId);
    expect(parentOf(named('user.after')[0]!)).toBe(job!.spanContext().spanId);
    spans.reset();
    const bad = ticketOf(await new Svc().slow(true));
    await manager.wait(bad.job_id);
    const [failed] = named('smart_async.job Svc.slow');
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.events.some((e) => e.name === 'exception')).toBe(true);
    expect(failed!.attributes['smart_async.status']).toBe('failed');
  });

  test('an attempt claimed from the queue starts its own trace, linked to the call span', async () => {
    const { manager } = useHarness(quiet);
    let runs = 0;
    class Svc {
      @SmartAsync({ timeoutMs: 20, durable: { name: `Telemetry.retry.${Date.now()}`, attempts: 2, backoff: { initialMs: 10 } } })
      async flaky(): Promise<SmartResult<string>> {
        runs++;
        await sleep(40);
        if (runs === 1) throw new Error('first time');
        return 'second time';
      }
    }
    const t = ticketOf(await new Svc().flaky());
    expect((await manager.wait(t.job_id, { timeoutMs: 3_000 })).result).toBe('second time');
    const [call] = named('smart_async.call Svc.flaky');
    const jobs = named('smart_async.job Svc.flaky');
    const first = jobs.find((s) => s.attributes['smart_async.attempt'] === 1)!;
    const second = jobs.find((s) => s.attributes['smart_async.attempt'] === 2)!;
    expect(first.spanContext().traceId).toBe(call!.spanContext().traceId);
    expect(second.spanContext().traceId).not.toBe(call!.spanContext().traceId);
    expect(second.links.map((l) => l.context.spanId)).toEqual([call!.spanContext().spanId]);
    expect(second.attributes['smart_async.status']).toBe('completed');
  });

  test('a trace handed in continues: withCallOptions({ traceparent }) and an MCP request’s _meta.traceparent', async () => {
    useHarness(quiet);
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const remote = `00-${traceId}-0102030405060708-01`;
    class Svc {
      @SmartAsync({ timeoutMs: 1_000 })
      async run(_args: { n: number }): Promise<SmartResult<number>> {
        return 1;
      }
    }
    await withCallOptions({ traceparent: remote }, () => new Svc().run({ n: 1 }));
    const [call] = named('smart_async.call Svc.run');
    expect(call!.spanContext().traceId).toBe(traceId);
    expect(parentOf(call!)).toBe('0102030405060708');
    spans.reset();
    const server = new McpServer({ name: 't', version: '1.0.0' });
    const svc = new Svc();
    registerSmartTool(server, 'run', { inputSchema: { n: z.number() } }, (args) => svc.run(args));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'c', version: '1.0.0' });
    await client.connect(clientSide);
    await client.callTool({ name: 'run', arguments: { n: 1 }, _meta: { traceparent: remote } });
    await client.close();
    expect(named('smart_async.call Svc.run')[0]!.spanContext().traceId).toBe(traceId);
  });

  test('the smart_async.* metrics: names, units and attributes', async () => {
    const { manager } = useHarness(quiet);
    await manager.launch(async () => 1, { label: 'm', timeoutMs: 1_000 });
    const t = ticketOf(await manager.launch(() => sleep(60).then(() => 2), { label: 'm', timeoutMs: 10 }));
    await manager.wait(t.job_id);
    await reader.forceFlush();
    const all = metricExporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.filter((s) => s.scope.name === 'smart-async').flatMap((s) => s.metrics));
    const byName = new Map(all.map((m) => [m.descriptor.name, m]));
    for (const name of [
      'smart_async.calls',
      'smart_async.jobs.settled',
      'smart_async.job.duration',
      'smart_async.jobs.active',
      'smart_async.store.duration',
    ])
      expect(byName.has(name)).toBe(true);
    expect(byName.get('smart_async.job.duration')!.descriptor.unit).toBe('s');
    const outcomes = byName.get('smart_async.calls')!.dataPoints.map((p) => p.attributes.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['inline', 'ticket']));
    expect(byName.get('smart_async.jobs.settled')!.dataPoints.map((p) => p.attributes.status)).toContain('completed');
  });
});

test('a tracer that throws never fails a call: reported once, the calls go on', async () => {
  const broken = {
    getTracer: () => ({
      startSpan: () => {
        throw new Error('tracer down');
      },
      startActiveSpan: () => {
        throw new Error('tracer down');
      },
    }),
  };
  trace.setGlobalTracerProvider(broken as never);
  try {
    const warnings: string[] = [];
    const m = new JobManager(new MemoryJobStore(), { closeGraceMs: 50, onWarning: (w) => void warnings.push(w) });
    expect(await m.launch(async () => 1, { label: 'x', timeoutMs: 1_000 })).toBe(1);
    const t = ticketOf(await m.launch(() => sleep(30).then(() => 2), { label: 'x', timeoutMs: 5 }));
    expect((await m.wait(t.job_id)).result).toBe(2);
    expect(await m.launch(async () => 3, { label: 'x', timeoutMs: 1_000 })).toBe(3);
    await m.close();
    expect(warnings.filter((w) => w.includes('OpenTelemetry threw'))).toHaveLength(1);
  } finally {
    trace.disable();
  }
});

describe('logs', () => {
  afterEach(closeHarnesses);

  test('a pino-style logger gets warnings (with err) and each attempt’s transitions (job id, label, attempt, status)', async () => {
    const entries: Array<[string, Record<string, unknown>, string]> = [];
    const logger = {
      warn: (f: Record<string, unknown>, m: string) => void entries.push(['warn', f, m]),
      info: (f: Record<string, unknown>, m: string) => void entries.push(['info', f, m]),
    };
    const { manager } = useHarness({ ...quiet, logger });
    const t = ticketOf(await manager.launch(() => sleep(40).then(() => 1), { label: 'logged', timeoutMs: 10 }));
    await manager.wait(t.job_id);
    manager.on('settled', () => {
      throw new Error('listener broke');
    });
    const u = ticketOf(await manager.launch(async () => 2, { label: 'logged', asyncMode: true }));
    await manager.wait(u.job_id);
    await sleep(20);
    expect(entries).toEqual(
      expect.arrayContaining([
        ['info', { jobId: t.job_id, label: 'logged', attempt: undefined, status: 'running' }, 'smart-async job switched to the background'],
        ['info', { jobId: t.job_id, label: 'logged', attempt: undefined, status: 'completed' }, 'smart-async job completed'],
        ['warn', { err: expect.objectContaining({ message: 'listener broke' }) }, "A 'settled' listener failed"],
      ]),
    );
  });

  test('a logger that throws or rejects never fails a call; it is reported once', async () => {
    const warnings: string[] = [];
    const logger = {
      warn: () => {
        throw new Error('logger down');
      },
      info: async () => Promise.reject(new Error('logger down')),
    };
    const { manager } = useHarness({ closeGraceMs: 50, onWarning: (w: string) => void warnings.push(w), logger });
    for (let i = 0; i < 3; i++) {
      const t = ticketOf(await manager.launch(async () => i, { label: 'x', asyncMode: true }));
      expect((await manager.wait(t.job_id)).result).toBe(i);
    }
    await sleep(20);
    expect(warnings.filter((w) => w.includes('logger failed'))).toHaveLength(1);
  });
});
