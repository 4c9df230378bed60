import 'reflect-metadata';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { JobManager, MemoryJobStore } from '../src';
import { fmt, heading, measure, ratio, row } from './common';

/** The hand-written race: the floor of the technique. */
function race<T>(work: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    work().then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** The inline call: no provider, a provider that samples nothing, one that records every span (in memory). */
export async function benchTelemetry(): Promise<void> {
  const work = async (): Promise<number> => 1;
  const inline = async (label: string): Promise<Record<string, number>> => {
    const m = new JobManager(new MemoryJobStore(), { onWarning: () => undefined });
    const r = await measure(
      { 'hand-written race': () => race(work, 10_000), [label]: () => m.launch(work, { label: 'x', timeoutMs: 10_000 }) },
      800,
    );
    await m.close();
    return r;
  };
  const rows: Array<[string, number, number]> = [];
  const none = await inline('no provider');
  rows.push(['no provider (nothing loaded into the call path)', none['no provider']!, none['hand-written race']!]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  metrics.setGlobalMeterProvider(new MeterProvider());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOffSampler() }));
  const off = await inline('provider, sampling nothing');
  rows.push(['a provider that samples nothing (metrics on)', off['provider, sampling nothing']!, off['hand-written race']!]);
  trace.disable();
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  const on = await inline('provider, every span');
  rows.push(['a provider that records every span (in memory)', on['provider, every span']!, on['hand-written race']!]);
  heading('OpenTelemetry: the inline call (memory store), each beside the hand-written race of the same run');
  row(['telemetry', 'ns/call', 'vs hand-written race']);
  row(['---', '---:', '---:']);
  for (const [name, ns, base] of rows) row([name, fmt(ns), ratio(ns, base)]);
  trace.disable();
  metrics.disable();
  context.disable();
}

if (require.main === module) void benchTelemetry();
