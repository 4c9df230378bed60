import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client as V2Client, StreamableHTTPClientTransport as V2ClientTransport } from '@modelcontextprotocol/client';
import { McpServer as V1Server } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer as V2Server, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { JobManager, jobContext, MemoryJobStore, SmartAsync, type JobRecord, type SmartResult } from '../../src';
import { createJobTaskStore, registerJobTools, registerSmartTool, serveTaskExtension, taskOf, TASKS_EXTENSION } from '../../src/mcp';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * MCP tasks driven by the official requester, `@modelcontextprotocol/ext-tasks` (run in a child
 * process: the package is ES modules only), over real Streamable HTTP on 127.0.0.1: against a v2
 * server with the tasks extension (protocol 2026-07-28) and against a v1 server with 2025-11-25
 * tasks. Both settle a slow smart tool to its result, and cancel one (its work's signal aborted).
 */
const aborted: string[] = [];
class Reports {
  @SmartAsync({ timeoutMs: 150 })
  async build(args: { steps: number }): Promise<SmartResult<{ rows: number }>> {
    const ctx = jobContext()!;
    for (let i = 1; i <= args.steps; i++) {
      if (ctx.signal.aborted) {
        aborted.push(ctx.jobId ?? 'inline');
        throw ctx.signal.reason;
      }
      await sleep(25);
      ctx.reportProgress(i, args.steps, `step ${i} of ${args.steps}`);
    }
    return { rows: args.steps };
  }
}
const reports = new Reports();
/** Jobs still running when a test ends are given up at close; their late outcomes' warnings are expected. */
const quiet = { closeGraceMs: 10, onWarning: (): void => undefined };
const toolConfig = { description: 'Builds a report', inputSchema: { steps: z.number().int().min(1).max(10_000) } };

const servers: Server[] = [];
const handlers: McpHttpHandler[] = [];
afterEach(async () => {
  await Promise.all(handlers.splice(0).map((h) => h.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  await closeHarnesses();
});

async function listen(
  serve: (req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: Buffer) => Promise<void>,
): Promise<string> {
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    await serve(req, res, Buffer.concat(chunks));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  servers.push(http);
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

const clientOf = (req: IncomingMessage): string | undefined =>
  typeof req.headers['x-client'] === 'string' ? req.headers['x-client'] : undefined;

/** A v2 endpoint serving both eras (createMcpHandler: a server per request); `x-client` becomes the auth client id. */
async function v2Endpoint(manager?: JobManager): Promise<string> {
  const handler = createMcpHandler(() => {
    const server = new V2Server({ name: 'reports', version: '1.0.0' });
    serveTaskExtension(server, { pollIntervalMs: 50 });
    registerSmartTool(server, 'build', toolConfig, (args) => reports.build(args), manager ? { manager } : undefined);
    registerJobTools(server);
    return server;
  });
  handlers.push(handler);
  const node = toNodeHandler(handler);
  return listen(async (req: IncomingMessage & { auth?: AuthInfo }, res, body) => {
    const client = clientOf(req);
    if (client) req.auth = { token: 't', clientId: client, scopes: [] };
    await node(req, res, body.length ? JSON.parse(body.toString()) : undefined);
  });
}

/** A v1 endpoint with 2025-11-25 native tasks (sessions). */
async function v1Endpoint(): Promise<string> {
  const tasks = createJobTaskStore(undefined, { pollIntervalMs: 50 });
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  return listen(async (req, res, body) => {
    const client = clientOf(req);
    if (client) (req as IncomingMessage & { auth?: unknown }).auth = { token: 't', clientId: client, scopes: [] };
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      const server = new V1Server(
        { name: 'reports', version: '1.0.0' },
        { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore: tasks },
      );
      registerSmartTool(server, 'build', toolConfig, (args) => reports.build(args), { tasks });
      registerJobTools(server);
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, transport!),
      });
      await server.connect(transport);
    }
    await transport.handleRequest(req, res, body.length ? JSON.parse(body.toString()) : undefined);
  });
}

interface Outcome {
  kind: 'immediate' | 'task';
  taskId?: string;
  status: 'completed' | 'failed' | 'cancelled';
  result?: { structuredContent?: Record<string, unknown>; isError?: boolean };
  error?: { name: string; message: string };
  statuses: string[];
  protocol: string;
}

const requester = join(__dirname, '..', 'fixtures', 'ext-tasks-requester.mjs');
async function request(
  url: string,
  generation: 'v1' | 'v2',
  args: Record<string, unknown>,
  action: 'settle' | 'cancel',
  clientId?: string,
  tool = 'build',
): Promise<Outcome> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [requester, url, generation, tool, JSON.stringify(args), action, ...(clientId ? [clientId] : [])],
    { timeout: 25_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

/** One raw JSON-RPC request on protocol 2026-07-28, with or without the extension declared. */
async function raw(
  url: string,
  method: string,
  params: Record<string, unknown>,
  opts: { clientId?: string; declare?: boolean } = {},
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const capabilities = opts.declare === false ? {} : { extensions: { [TASKS_EXTENSION]: {} } };
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof params.taskId === 'string' && params.taskId.length < 1_000 ? { 'mcp-name': params.taskId } : {}),
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
      ...(opts.clientId ? { 'x-client': opts.clientId } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
  });
  const text = await response.text();
  if (!text) throw new Error(`HTTP ${response.status} with no body for ${method}`);
  const line = text.includes('data:')
    ? text
        .split('\n')
        .find((l) => l.startsWith('data:') && l.includes('"id":1'))!
        .slice(5)
    : text;
  return JSON.parse(line) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe('v2 server, tasks extension (2026-07-28)', () => {
  test('the requester settles a slow smart tool through a task whose id is the job id; a fast one comes back inline', async () => {
    const h = useHarness(quiet);
    const url = await v2Endpoint();
    const slow = await request(url, 'v2', { steps: 16 }, 'settle');
    expect(slow).toMatchObject({ kind: 'task', status: 'completed', protocol: 'modern', result: { structuredContent: { rows: 16 } } });
    expect(slow.statuses.at(-1)).toBe('completed');
    const job = (await h.manager.get(slow.taskId!)) as JobRecord;
    expect(job).toMatchObject({ status: 'completed', result: { rows: 16 } });

    const fast = await request(url, 'v2', { steps: 1 }, 'settle');
    expect(fast).toMatchObject({ kind: 'immediate', status: 'completed', result: { structuredContent: { rows: 1 } } });
    expect(fast.taskId).toBeUndefined();
  }, 30_000);

  test('tasks/cancel from the requester cancels the job and aborts its work', async () => {
    const h = useHarness(quiet);
    const url = await v2Endpoint();
    const out = await request(url, 'v2', { steps: 2_000 }, 'cancel');
    expect(out).toMatchObject({ kind: 'task', status: 'cancelled' });
    expect((await h.manager.get(out.taskId!))?.status).toBe('cancelled');
    for (let i = 0; i < 50 && !aborted.includes(out.taskId!); i++) await sleep(20);
    expect(aborted).toContain(out.taskId);
  }, 30_000);

  test('async mode asks for a task at once; tasks/get shows progress as statusMessage, then the result inlined', async () => {
    useHarness(quiet);
    const url = await v2Endpoint();
    const created = await raw(url, 'tools/call', { name: 'build', arguments: { steps: 40, async_mode: true } });
    expect(created.result).toMatchObject({ resultType: 'task', status: 'working', ttlMs: null, pollIntervalMs: 50 });
    const taskId = created.result!.taskId as string;
    let task: Record<string, unknown> = {};
    for (let i = 0; i < 100 && task.status !== 'completed'; i++) {
      await sleep(30);
      task = (await raw(url, 'tasks/get', { taskId })).result!;
      if (task.status === 'working' && task.statusMessage) expect(task.statusMessage).toMatch(/^step \d+ of 40$/);
    }
    expect(task).toMatchObject({
      resultType: 'complete',
      taskId,
      status: 'completed',
      result: { structuredContent: { rows: 40 }, resultType: 'complete' },
    });
    expect((await raw(url, 'tasks/update', { taskId, inputResponses: {} })).result).toMatchObject({ resultType: 'complete' });
  }, 30_000);

  test('without the extension declared: a ticket, as before; tasks/* answer -32021', async () => {
    useHarness(quiet);
    const url = await v2Endpoint();
    const call = await raw(url, 'tools/call', { name: 'build', arguments: { steps: 40 } }, { declare: false });
    const ticket = (call.result as { structuredContent: { job_id: string; status: string } }).structuredContent;
    expect(ticket.status).toBe('running');
    expect((await raw(url, 'tasks/get', { taskId: ticket.job_id }, { declare: false })).error).toMatchObject({ code: -32021 });
    // The v2 client (modern era, no extension) gets the same ticket.
    const client = new V2Client({ name: 'plain', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new V2ClientTransport(new URL(url)));
    const viaClient = (await client.callTool({ name: 'build', arguments: { steps: 1, async_mode: true } })) as {
      structuredContent: { status: string };
    };
    expect(viaClient.structuredContent.status).toBe('pending');
    await client.close();
  }, 30_000);

  test('no request sees or cancels another owner’s task; unknown and malformed ids are not found, never echoed', async () => {
    const h = useHarness(quiet);
    const url = await v2Endpoint();
    const created = await raw(url, 'tools/call', { name: 'build', arguments: { steps: 2_000, async_mode: true } }, { clientId: 'alice' });
    const taskId = created.result!.taskId as string;
    expect((await h.manager.get(taskId))?.owner).toBe('alice');
    for (const who of ['mallory', undefined]) {
      expect((await raw(url, 'tasks/get', { taskId }, { clientId: who })).error).toMatchObject({
        code: -32602,
        message: 'Failed to retrieve task: Task not found',
      });
      expect((await raw(url, 'tasks/cancel', { taskId }, { clientId: who })).error).toMatchObject({ code: -32602 });
    }
    expect((await h.manager.get(taskId))?.status).toBe('running');
    const long = 'x'.repeat(900);
    const bad = await raw(url, 'tasks/get', { taskId: long }, { clientId: 'alice' });
    expect(bad.error?.code).toBe(-32602);
    expect(JSON.stringify(bad)).not.toContain('xxxxxxxxxx');
    expect((await raw(url, 'tasks/get', { taskId: randomUUID() }, { clientId: 'alice' })).error?.code).toBe(-32602);
    expect((await raw(url, 'tasks/cancel', { taskId }, { clientId: 'alice' })).result).toMatchObject({ resultType: 'complete' });
    expect((await h.manager.get(taskId))?.status).toBe('cancelled');
    expect((await raw(url, 'tasks/get', { taskId }, { clientId: 'alice' })).result).toMatchObject({ status: 'cancelled' });
  }, 30_000);

  test('a tool registered with { manager } creates its tasks there, and tasks/get finds them', async () => {
    useHarness(quiet);
    const own = new JobManager(new MemoryJobStore(), { closeGraceMs: 10 });
    try {
      const url = await v2Endpoint(own);
      const created = await raw(url, 'tools/call', { name: 'build', arguments: { steps: 3, async_mode: true } });
      const taskId = created.result!.taskId as string;
      expect(await own.get(taskId)).toBeDefined();
      let task: Record<string, unknown> = {};
      for (let i = 0; i < 100 && task.status !== 'completed'; i++) {
        task = (await raw(url, 'tasks/get', { taskId })).result!;
        await sleep(20);
      }
      expect(task).toMatchObject({ status: 'completed', result: { structuredContent: { rows: 3 } } });
    } finally {
      await own.close();
    }
  }, 30_000);
});

test('taskOf: each job status maps to the extension’s, final ones stay final (stale is failed, a thrown error a tool error)', () => {
  const base = {
    id: randomUUID(),
    label: 'x',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:01.000Z',
    started_at: null,
    finished_at: null,
    progress: null,
    result: null,
    error: null,
  } as unknown as JobRecord;
  expect(taskOf({ ...base, status: 'pending' }).status).toBe('working');
  expect(taskOf({ ...base, status: 'running', progress: { current: 1, total: 2, message: 'half' } } as JobRecord)).toMatchObject({
    status: 'working',
    statusMessage: 'half',
  });
  expect(taskOf({ ...base, status: 'completed', result: 7 } as JobRecord)).toMatchObject({
    status: 'completed',
    result: { structuredContent: { result: 7 }, resultType: 'complete' },
  });
  expect(taskOf({ ...base, status: 'failed', error: { code: 'BOOM', message: 'no' } } as JobRecord)).toMatchObject({
    status: 'completed',
    result: { isError: true, content: [{ type: 'text', text: 'BOOM: no' }] },
  });
  expect(taskOf({ ...base, status: 'stale', error: { code: 'JOB_STALE', message: 'lost' } } as JobRecord)).toMatchObject({
    status: 'failed',
    error: { code: -32603, message: 'lost' },
  });
  expect(taskOf({ ...base, status: 'cancelled' }).status).toBe('cancelled');
});

describe('v1 server, 2025-11-25 tasks', () => {
  test('the same requester settles the slow smart tool through a native task, and cancels another (work aborted)', async () => {
    const h = useHarness(quiet);
    const url = await v1Endpoint();
    const slow = await request(url, 'v1', { steps: 16 }, 'settle', 'bob');
    expect(slow).toMatchObject({ kind: 'task', status: 'completed', protocol: 'legacy', result: { structuredContent: { rows: 16 } } });
    expect(await h.manager.get(slow.taskId!)).toMatchObject({ status: 'completed', owner: 'bob' });
    const cancelled = await request(url, 'v1', { steps: 2_000 }, 'cancel', 'bob');
    expect(cancelled).toMatchObject({ kind: 'task', status: 'cancelled' });
    expect((await h.manager.get(cancelled.taskId!))?.status).toBe('cancelled');
    for (let i = 0; i < 50 && !aborted.includes(cancelled.taskId!); i++) await sleep(20);
    expect(aborted).toContain(cancelled.taskId);
  }, 40_000);
});

test('the v2 sample (Streamable HTTP, tasks extension) settles a slow report for the requester and shuts down within a host’s 2 s grace', async () => {
  const sample = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'samples', 'mcp-v2-http.ts')],
    {
      env: { ...process.env, PORT: '0', REPORT_TIMEOUT: '300ms' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      sample.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const hit = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
        if (hit) resolve(hit[1]!);
      });
      sample.on('exit', (code) => reject(new Error(`sample exited (${code}): ${out}`)));
    });
    const out = await request(url, 'v2', { region: 'eu', steps: 8, stepMs: 100 }, 'settle', 'carol', 'build_report');
    expect(out).toMatchObject({ kind: 'task', status: 'completed', result: { structuredContent: { region: 'eu', rows: 8000 } } });
    const long = await raw(url, 'tools/call', { name: 'build_report', arguments: { region: 'us', steps: 1_000, async_mode: true } });
    expect(long.result).toMatchObject({ resultType: 'task', status: 'working' });
    const started = Date.now();
    const exited = new Promise<number | null>((r) => sample.on('exit', (code) => r(code)));
    sample.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    sample.kill('SIGKILL');
  }
}, 60_000);
