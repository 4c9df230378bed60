import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { jobContext, SmartAsync, type SmartResult } from '../../src';
import { registerJobTools, registerSmartTool, toCallToolResult } from '../../src/mcp';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * The SDK's v2 line (`@modelcontextprotocol/server` / `client` 2.x, protocol 2026-07-28): the same
 * smart tool and job tools on a v2 McpServer, driven by the v2 Client. (Runtime support; the
 * public types are structural: no cast needed.)
 */
class Reports {
  @SmartAsync({ timeoutMs: 150 })
  async build(args: { steps: number }): Promise<SmartResult<{ rows: number }>> {
    const ctx = jobContext()!;
    for (let i = 1; i <= args.steps; i++) {
      ctx.signal.throwIfAborted();
      await sleep(20);
      ctx.reportProgress(i, args.steps, `step ${i}`);
    }
    return { rows: args.steps };
  }
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeHarnesses();
});

async function v2(): Promise<Client> {
  const server = new McpServer({ name: 'v2-test', version: '1.0.0' });
  const reports = new Reports();
  registerSmartTool(server, 'build', { inputSchema: { steps: z.number().int().min(1).max(1000) } }, (args) => reports.build(args));
  registerJobTools(server);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'v2-client', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

type Result = { structuredContent?: Record<string, unknown>; isError?: boolean; content: unknown[] };
const call = async (c: Client, name: string, args: Record<string, unknown>): Promise<Result> =>
  (await c.callTool({ name, arguments: args })) as Result;

test('v2: fast inline, slow ticket, job_status to the result, job_cancel', async () => {
  useHarness({ closeGraceMs: 10 });
  const c = await v2();
  expect((await call(c, 'build', { steps: 1 })).structuredContent).toEqual({ rows: 1 });
  const ticket = (await call(c, 'build', { steps: 15 })).structuredContent as { job_id: string; status: string };
  expect(ticket.status).toBe('running');
  let job: { status: string; result: unknown } = { status: 'running', result: null };
  for (let i = 0; i < 100 && job.status === 'running'; i++) {
    await sleep(30);
    job = ((await call(c, 'job_status', { job_id: ticket.job_id })).structuredContent as { job: typeof job }).job;
  }
  expect(job).toMatchObject({ status: 'completed', result: { rows: 15 } });
  const held = (await call(c, 'build', { steps: 500, async_mode: true })).structuredContent as { job_id: string };
  expect(((await call(c, 'job_cancel', { job_id: held.job_id })).structuredContent as { job: { status: string } }).job.status).toBe(
    'cancelled',
  );
  expect((await call(c, 'job_status', { job_id: 'not-a-uuid' })).isError).toBe(true);
});

test('v2: progress reaches the v2 client, coalesced, the last report sent', async () => {
  useHarness({ closeGraceMs: 10, progressIntervalMs: 60 });
  const c = await v2();
  const seen: Array<{ progress: number; message?: string }> = [];
  const result = (await c.callTool({ name: 'build', arguments: { steps: 5 } }, {
    onprogress: (p: { progress: number; message?: string }) => seen.push(p),
  } as never)) as Result;
  expect(result.structuredContent).toEqual({ rows: 5 });
  expect(seen.at(-1)).toMatchObject({ progress: 5, message: 'step 5' });
  expect(seen.length).toBeLessThan(5);
});

test('toCallToolResult makes a result a v2 client accepts', () => {
  expect(toCallToolResult({ a: 1 })).toEqual({ structuredContent: { a: 1 }, content: [{ type: 'text', text: '{"a":1}' }] });
});

test('v2: a smart tool registered after the server connected still answers (the extension is served when it can be)', async () => {
  useHarness({ closeGraceMs: 10 });
  const server = new McpServer({ name: 'late', version: '1.0.0' });
  registerJobTools(server); // tools before connecting, as the SDK requires; the smart tool comes later
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const reports = new Reports();
    registerSmartTool(server, 'build', { inputSchema: { steps: z.number().int().min(1).max(1000) } }, (args) => reports.build(args));
    const client = new Client({ name: 'v2-client', version: '1.0.0' });
    await client.connect(clientSide);
    clients.push(client);
    expect((await call(client, 'build', { steps: 1 })).structuredContent).toEqual({ rows: 1 });
    const warnings = emit.mock.calls.map((c) => String(c[0]));
    expect(warnings.filter((w) => w.includes('The MCP tasks extension is not served on this server'))).toHaveLength(1);
  } finally {
    emit.mockRestore();
  }
});
