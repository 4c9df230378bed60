/**
 * One trace across the switch: a call that outlives its budget, its job span, and the work's own
 * spans before and after the switch, printed as a tree (the OpenTelemetry SDK, in memory; send them
 * to your collector with an OTLP exporter instead).
 *
 * Run: npx ts-node --transpile-only samples/telemetry.ts
 */
import 'reflect-metadata';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JobManager, MemoryJobStore, SmartAsync, withCallOptions, type SmartResult } from '../src';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
const tracer = trace.getTracer('reports-app');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Reports {
  @SmartAsync({ timeoutMs: 100 })
  async build(region: string): Promise<SmartResult<{ region: string; rows: number }>> {
    await tracer.startActiveSpan('warehouse.query', async (s) => (await sleep(150), s.end())); // the budget runs out meanwhile: the caller gets its ticket
    await tracer.startActiveSpan('render.csv', async (s) => (await sleep(50), s.end())); // started after the switch: under the job span
    return { region, rows: 8_000 };
  }
}

async function main(): Promise<void> {
  const jobs = new JobManager(new MemoryJobStore(), { onWarning: () => undefined });
  await tracer.startActiveSpan('POST /reports', async (request) => {
    const ticket = (await withCallOptions({ manager: jobs }, () => new Reports().build('eu'))) as { job_id: string };
    request.end();
    await jobs.wait(ticket.job_id);
  });
  await jobs.close();
  const all = spans.getFinishedSpans();
  const children = (id: string | undefined): ReadableSpan[] =>
    all
      .filter((s) => s.parentSpanContext?.spanId === id)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const ms = (s: ReadableSpan): string => `${Math.round(s.duration[0] * 1e3 + s.duration[1] / 1e6)} ms`;
  const print = (s: ReadableSpan, depth: number): void => {
    const attrs = Object.entries(s.attributes)
      .filter(([k]) => k.startsWith('smart_async.') && k !== 'smart_async.label' && k !== 'smart_async.job_id')
      .map(([k, v]) => `${k.slice(12)}=${String(v)}`)
      .join(' ');
    console.log(`${'  '.repeat(depth)}${s.name} (${ms(s)})${attrs ? `  ${attrs}` : ''}`);
    for (const c of children(s.spanContext().spanId)) print(c, depth + 1);
  };
  for (const root of all.filter((s) => !s.parentSpanContext)) print(root, 0);
}

void main();
