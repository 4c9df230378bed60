import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { JobManager, MemoryJobStore, SmartAsync, type SmartResult } from '../../src';
import { registerJobTools, registerSmartTool } from '../../src/mcp';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * Who sees which job over Streamable HTTP (v1 SDK, real HTTP on 127.0.0.1): stateless and
 * stateful, with and without auth. One owner rule (auth client id, else session id); a job id is a
 * capability; a request without identity lists nothing. Plus bounded inputs and `{ manager }`.
 */
class Work {
  @SmartAsync({ timeoutMs: 2_000 })
  async run(args: { ms: number }): Promise<SmartResult<{ ms: number }>> {
    await sleep(args.ms);
    return { ms: args.ms };
  }
}
const work = new Work();

function mcpServer(manager?: JobManager): McpServer {
  const server = new McpServer({ name: 'http-test', version: '1.0.0' });
  registerSmartTool(
    server,
    'run',
    { inputSchema: { ms: z.number().int().min(0).max(60_000) } },
    (args) => work.run(args),
    manager ? { manager } : undefined,
  );
  registerJobTools(server);
  return server;
}

const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  await closeHarnesses();
});

/** An MCP endpoint at /mcp: stateless (a server per request) or stateful (sessions); `x-client` becomes the auth client id. */
async function endpoint(opts: { stateful: boolean; auth: boolean; manager?: JobManager }): Promise<string> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createHttpServer(async (req, res) => {
    const body = await new Promise<unknown>((resolve) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => resolve(text ? JSON.parse(text) : undefined));
    });
    const client = req.headers['x-client'];
    if (opts.auth && typeof client === 'string')
      (req as IncomingMessage & { auth?: unknown }).auth = { token: 't', clientId: client, scopes: [] };
    if (!opts.stateful) {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await mcpServer(opts.manager).connect(transport);
      return transport.handleRequest(req, res, body);
    }
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, transport!),
      });
      await mcpServer(opts.manager).connect(transport);
    }
    return transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  servers.push(http);
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

async function connect(url: string, clientId?: string): Promise<Client> {
  const client = new Client({ name: 'c', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: clientId ? { 'x-client': clientId } : {} } }),
  );
  clients.push(client);
  return client;
}

const call = async (c: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
  (await c.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult): string => (r.content as Array<{ text: string }>)[0]!.text;

test('stateless, no identity: a job id is a capability for jobs without an owner; nothing is listed; others’ jobs are not found', async () => {
  const { manager } = useHarness({ closeGraceMs: 10 });
  const url = await endpoint({ stateful: false, auth: false });
  const anon = await connect(url);
  const ticket = (await call(anon, 'run', { ms: 5_000, async_mode: true })).structuredContent as { job_id: string };
  expect((await call(anon, 'job_status', { job_id: ticket.job_id })).isError).toBeFalsy();
  expect((await call(anon, 'job_list', {})).structuredContent).toEqual({ jobs: [] });
  const owned = await manager.launch(() => sleep(5_000), { label: 'someone else', asyncMode: true, owner: 'client-b' });
  const ownedId = (owned as { job_id: string }).job_id;
  for (const tool of ['job_status', 'job_cancel']) {
    const r = await call(anon, tool, { job_id: ownedId });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/not found/);
  }
  expect((await manager.get(ownedId))?.status).toBe('running'); // not cancelled by a stranger
  await manager.cancel(ownedId);
  await manager.cancel(ticket.job_id);
});

test('stateless with auth: each client sees, lists and cancels only its own jobs', async () => {
  const { manager } = useHarness({ closeGraceMs: 10 });
  const url = await endpoint({ stateful: false, auth: true });
  const a = await connect(url, 'client-a');
  const b = await connect(url, 'client-b');
  const ticket = (await call(a, 'run', { ms: 5_000, async_mode: true })).structuredContent as { job_id: string };
  expect((await manager.get(ticket.job_id))?.owner).toBe('client-a');
  expect((await call(b, 'job_status', { job_id: ticket.job_id })).isError).toBe(true);
  expect((await call(b, 'job_cancel', { job_id: ticket.job_id })).isError).toBe(true);
  expect(((await call(b, 'job_list', {})).structuredContent as { jobs: unknown[] }).jobs).toEqual([]);
  expect(((await call(a, 'job_list', {})).structuredContent as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id)).toEqual([
    ticket.job_id,
  ]);
  expect(((await call(a, 'job_cancel', { job_id: ticket.job_id })).structuredContent as { job: { status: string } }).job.status).toBe(
    'cancelled',
  );
});

test('stateful, no auth: sessions keep their jobs apart', async () => {
  useHarness({ closeGraceMs: 10 });
  const url = await endpoint({ stateful: true, auth: false });
  const one = await connect(url);
  const two = await connect(url);
  const ticket = (await call(one, 'run', { ms: 5_000, async_mode: true })).structuredContent as { job_id: string };
  expect((await call(one, 'job_status', { job_id: ticket.job_id })).isError).toBeFalsy();
  expect((await call(two, 'job_status', { job_id: ticket.job_id })).isError).toBe(true);
  expect(((await call(two, 'job_list', {})).structuredContent as { jobs: unknown[] }).jobs).toEqual([]);
  await call(one, 'job_cancel', { job_id: ticket.job_id });
});

test('inputs are bounded and never echoed back', async () => {
  useHarness({ closeGraceMs: 10 });
  const c = await connect(await endpoint({ stateful: false, auth: true }), 'client-a');
  const huge = 'x'.repeat(1_000_000);
  for (const [tool, args] of [
    ['job_status', { job_id: huge }],
    ['job_cancel', { job_id: randomUUID(), reason: huge }],
    ['run', { ms: 1, job_label: huge }],
  ] as const) {
    const r = await call(c, tool, args);
    expect(r.isError).toBe(true);
    expect(text(r).length).toBeLessThan(2_000);
    expect(text(r)).not.toContain('xxxxxxxxxx');
  }
});

test('camelCase asyncMode asks for a ticket too', async () => {
  useHarness({ closeGraceMs: 10 });
  const c = await connect(await endpoint({ stateful: false, auth: true }), 'client-a');
  expect((await call(c, 'run', { ms: 5, asyncMode: true })).structuredContent).toMatchObject({ status: 'pending' });
});

test('a tool registered with { manager } creates its jobs there, and the job tools find them', async () => {
  const { manager: containers } = useHarness();
  const mine = new JobManager(new MemoryJobStore(), { closeGraceMs: 10 });
  try {
    const c = await connect(await endpoint({ stateful: false, auth: true, manager: mine }), 'client-a');
    const ticket = (await call(c, 'run', { ms: 5_000, async_mode: true })).structuredContent as { job_id: string };
    expect(await mine.get(ticket.job_id)).toBeDefined();
    expect(await containers.get(ticket.job_id)).toBeUndefined();
    expect((await call(c, 'job_status', { job_id: ticket.job_id })).isError).toBeFalsy();
    expect(((await call(c, 'job_list', {})).structuredContent as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id)).toContain(
      ticket.job_id,
    );
    expect(((await call(c, 'job_cancel', { job_id: ticket.job_id })).structuredContent as { job: { status: string } }).job.status).toBe(
      'cancelled',
    );
  } finally {
    await mine.close();
  }
});
