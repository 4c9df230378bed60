import 'reflect-metadata';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FileJobStore, isJobTicket, jobContext, JobManager, MemoryJobStore, SmartAsync, type JobRecord, type SmartResult } from '../../src';
import { createJobTaskStore, registerJobTools, registerSmartTool, toCallToolResult } from '../../src/mcp';
import { createServer } from '../../samples/mcp-server';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

const clients: Client[] = [];
beforeEach(() => {
  process.env.REPORT_TIMEOUT = '300ms';
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeHarnesses();
  delete process.env.REPORT_TIMEOUT;
});

async function connect(server: McpServer, sessionId?: string): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  serverSide.sessionId = sessionId;
  await server.connect(serverSide);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

type Structured = Record<string, unknown>;

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function structured(result: CallToolResult): Structured {
  expect(result.isError).toBeFalsy();
  const s = result.structuredContent as Structured;
  expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(s) }]);
  return s;
}

async function settledJob(client: Client, id: string): Promise<JobRecord> {
  for (let i = 0; i < 200; i++) {
    const { job } = structured(await call(client, 'job_status', { job_id: id })) as { job: JobRecord };
    if (!['pending', 'running'].includes(job.status)) return job;
    await sleep(25);
  }
  throw new Error('job did not settle');
}

/** A service that records what its work saw, for cancellation tests. */
class Probe {
  aborted: unknown[] = [];
  @SmartAsync({ timeoutMs: 5_000 })
  async wait(args: { ms: number }): Promise<SmartResult<string>> {
    const { signal } = jobContext()!;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, args.ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        this.aborted.push(signal.reason);
        resolve();
      });
    });
    signal.throwIfAborted();
    return 'waited';
  }
}

function probeServer(probe: Probe): McpServer {
  const server = new McpServer({ name: 'probe', version: '1.0.0' });
  registerSmartTool(server, 'wait', { inputSchema: { ms: z.number() } }, (args) => probe.wait(args));
  registerJobTools(server);
  return server;
}

describe('tools', () => {
  test('the smart tool’s schema gains async_mode and job_label, and the job tools are listed', async () => {
    useHarness();
    const client = await connect(createServer());
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['build_report', 'job_cancel', 'job_list', 'job_status']);
    const report = tools.find((t) => t.name === 'build_report')!;
    expect(Object.keys(report.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['region', 'steps', 'async_mode', 'job_label']),
    );
    expect(report.inputSchema.required).toEqual(['region', 'steps']);
    expect(report.execution?.taskSupport).toBe('optional');
  });

  test('a fast call returns the method’s own result as structured content and JSON text', async () => {
    useHarness();
    const client = await connect(createServer());
    expect(structured(await call(client, 'build_report', { region: 'eu', steps: 2, stepMs: 5 }))).toEqual({ region: 'eu', rows: 2000 });
  });

  test('a slow call returns a running ticket, and job_status gives the result later', async () => {
    useHarness();
    const client = await connect(createServer());
    const ticket = structured(await call(client, 'build_report', { region: 'us', steps: 6, stepMs: 100 }));
    expect(isJobTicket(ticket)).toBe(true);
    expect(ticket.status).toBe('running');
    const job = await settledJob(client, ticket.job_id as string);
    expect(job).toMatchObject({ status: 'completed', label: 'ReportService.build', result: { region: 'us', rows: 6000 } });
  });

  test('async_mode returns a pending ticket at once; job_label names the job; job_list shows it', async () => {
    useHarness();
    const client = await connect(createServer());
    const t0 = Date.now();
    const ticket = structured(
      await call(client, 'build_report', { region: 'apac', steps: 3, stepMs: 50, async_mode: true, job_label: 'apac-nightly' }),
    );
    expect(Date.now() - t0).toBeLessThan(250);
    expect(ticket).toEqual({ job_id: expect.any(String), status: 'pending' });
    const { jobs } = structured(await call(client, 'job_list', { label: 'apac-nightly' })) as { jobs: JobRecord[] };
    expect(jobs.map((j) => j.id)).toEqual([ticket.job_id]);
    expect((await settledJob(client, ticket.job_id as string)).status).toBe('completed');
  });

  test('unknown ids and bad arguments are tool errors, not protocol failures', async () => {
    useHarness();
    const client = await connect(createServer());
    const unknown = await call(client, 'job_status', { job_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toMatch(/not found/);
    const cancelUnknown = await call(client, 'job_cancel', { job_id: 'nope' });
    expect(cancelUnknown.isError).toBe(true);
    const missing = await call(client, 'job_status', {});
    expect(missing.isError).toBe(true);
    const badMode = await call(client, 'build_report', { region: 'eu', steps: 1, async_mode: 'yes' });
    expect(badMode.isError).toBe(true);
    const badList = await call(client, 'job_list', { status: 'exploded' });
    expect(badList.isError).toBe(true);
  });

  test('toCallToolResult wraps values that are not objects', () => {
    expect(toCallToolResult('hi')).toEqual({ structuredContent: { result: 'hi' }, content: [{ type: 'text', text: '{"result":"hi"}' }] });
    expect(toCallToolResult([1])).toEqual({ structuredContent: { result: [1] }, content: [{ type: 'text', text: '{"result":[1]}' }] });
  });
});

describe('progress and cancellation', () => {
  test('progress reaches the client as notifications/progress, coalesced: one per progressIntervalMs, the last always sent', async () => {
    useHarness({ progressIntervalMs: 100 });
    const client = await connect(createServer());
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const started = Date.now();
    const result = (await client.callTool(
      { name: 'build_report', arguments: { region: 'eu', steps: 20, stepMs: 10 } },
      CallToolResultSchema,
      {
        onprogress: (p) => seen.push(p),
      },
    )) as CallToolResult;
    const elapsed = Date.now() - started;
    expect(structured(result)).toEqual({ region: 'eu', rows: 20000 });
    expect(seen[0]!.progress).toBe(1); // the first at once
    expect(seen.at(-1)).toMatchObject({ progress: 20, total: 20, message: 'step 20 of 20' }); // the last always
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    expect(seen.length).toBeLessThan(20);
  });

  test('the client cancelling the request aborts the work’s signal', async () => {
    useHarness();
    const probe = new Probe();
    const client = await connect(probeServer(probe));
    const ac = new AbortController();
    const pending = client.callTool({ name: 'wait', arguments: { ms: 3_000 } }, CallToolResultSchema, { signal: ac.signal });
    await sleep(100);
    ac.abort('user pressed stop');
    await expect(pending).rejects.toThrow();
    await sleep(50);
    expect(probe.aborted).toHaveLength(1);
  });

  test('job_cancel cancels the job and aborts its work', async () => {
    const { manager } = useHarness();
    const probe = new Probe();
    const client = await connect(probeServer(probe));
    const ticket = structured(await call(client, 'wait', { ms: 3_000, async_mode: true }));
    await sleep(50);
    const { job } = structured(await call(client, 'job_cancel', { job_id: ticket.job_id, reason: 'changed my mind' })) as {
      job: JobRecord;
    };
    expect(job).toMatchObject({ status: 'cancelled', error: { message: 'changed my mind' } });
    await sleep(50);
    expect(probe.aborted).toHaveLength(1);
    expect((await manager.get(ticket.job_id as string))?.status).toBe('cancelled');
  });
});

describe('owners', () => {
  test('one client never sees another’s jobs', async () => {
    useHarness();
    const probe = new Probe();
    const alice = await connect(probeServer(probe), 'session-alice');
    const bob = await connect(probeServer(probe), 'session-bob');
    const ticket = structured(await call(alice, 'wait', { ms: 50, async_mode: true }));
    const id = ticket.job_id as string;
    expect((await call(bob, 'job_status', { job_id: id })).isError).toBe(true);
    expect((await call(bob, 'job_cancel', { job_id: id })).isError).toBe(true);
    expect(structured(await call(bob, 'job_list', {}))).toEqual({ jobs: [] });
    const { jobs } = structured(await call(alice, 'job_list', {})) as { jobs: JobRecord[] };
    expect(jobs.map((j) => [j.id, j.owner])).toEqual([[id, 'session-alice']]);
  });
});

describe('native MCP tasks', () => {
  test('a task-augmented call gets a task at once, and tasks/get, tasks/result and tasks/list answer from the jobs', async () => {
    const { manager } = useHarness();
    const client = await connect(createServer(), 'task-session');
    const messages: Array<{ type: string; task?: { taskId: string; status: string }; result?: CallToolResult }> = [];
    for await (const m of client.experimental.tasks.callToolStream(
      { name: 'build_report', arguments: { region: 'eu', steps: 3, stepMs: 50 } },
      CallToolResultSchema,
      { task: { ttl: 60_000 } },
    )) {
      messages.push(m as never);
    }
    const created = messages.find((m) => m.type === 'taskCreated');
    expect(created?.task?.status).toBe('working');
    const taskId = created!.task!.taskId;
    expect((await manager.get(taskId))?.owner).toBe('task-session');
    const result = messages.find((m) => m.type === 'result')?.result;
    expect(result?.structuredContent).toEqual({ region: 'eu', rows: 3000 });
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('completed');
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(taskId);
  });

  test('tasks/cancel really aborts the work', async () => {
    useHarness();
    const probe = new Probe();
    const tasks = createJobTaskStore();
    const server = new McpServer(
      { name: 'probe', version: '1.0.0' },
      { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore: tasks },
    );
    registerSmartTool(server, 'wait', { inputSchema: { ms: z.number() } }, (args) => probe.wait(args), { tasks });
    const client = await connect(server);
    const stream = client.experimental.tasks.callToolStream({ name: 'wait', arguments: { ms: 5_000 } }, CallToolResultSchema, {
      task: { ttl: 60_000 },
    });
    const first = (await stream.next()).value as { type: string; task: { taskId: string } };
    expect(first.type).toBe('taskCreated');
    await sleep(50);
    const cancelled = await client.experimental.tasks.cancelTask(first.task.taskId);
    expect(cancelled.status).toBe('cancelled');
    await sleep(50);
    expect(probe.aborted).toHaveLength(1);
    await stream.return(undefined);
  });

  test('a task of a tool registered with its own { manager } is found by tasks/get and listed by tasks/list (one registry of managers)', async () => {
    const { manager } = useHarness();
    const own = new JobManager(new MemoryJobStore(), { closeGraceMs: 10 });
    try {
      const probe = new Probe();
      const tasks = createJobTaskStore();
      const server = new McpServer(
        { name: 'probe', version: '1.0.0' },
        { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore: tasks },
      );
      registerSmartTool(server, 'wait', { inputSchema: { ms: z.number() } }, (args) => probe.wait(args), { tasks, manager: own });
      const client = await connect(server, 'lister');
      const stream = client.experimental.tasks.callToolStream({ name: 'wait', arguments: { ms: 2_000 } }, CallToolResultSchema, {
        task: { ttl: 60_000 },
      });
      const first = (await stream.next()).value as { type: string; task: { taskId: string } };
      const taskId = first.task.taskId;
      expect(await own.get(taskId)).toBeDefined();
      expect(await manager.get(taskId)).toBeUndefined();
      expect((await client.experimental.tasks.getTask(taskId)).status).toBe('working');
      expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([taskId]);
      await client.experimental.tasks.cancelTask(taskId);
      await stream.return(undefined);
    } finally {
      await own.close();
    }
  });

  test('a call without a task on a task-capable tool keeps the smart behaviour', async () => {
    useHarness();
    const client = await connect(createServer());
    const fast = structured(await call(client, 'build_report', { region: 'eu', steps: 1, stepMs: 1 }));
    expect(fast).toEqual({ region: 'eu', rows: 1000 });
    const slow = structured(await call(client, 'build_report', { region: 'eu', steps: 8, stepMs: 100 }));
    expect(slow.status).toBe('running');
  });
});

describe('stdio', () => {
  test('the sample server answers a real client over stdio: inline, ticket, job_status', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'samples', 'mcp-server.ts')],
      env: { ...(process.env as Record<string, string>), REPORT_TIMEOUT: '300ms' },
      stderr: 'inherit',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('build_report');
    expect(structured(await call(client, 'build_report', { region: 'eu', steps: 1, stepMs: 10 }))).toEqual({ region: 'eu', rows: 1000 });
    const ticket = structured(await call(client, 'build_report', { region: 'us', steps: 5, stepMs: 100 }));
    expect(ticket.status).toBe('running');
    expect(await settledJob(client, ticket.job_id as string)).toMatchObject({ status: 'completed', result: { rows: 5000 } });
  }, 60_000);

  test('the sample server shuts down within a host’s 2 s grace when stdin ends, leaving no job running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smart-async-mcp-'));
    try {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'samples', 'mcp-server.ts')],
        env: { ...(process.env as Record<string, string>), REPORT_TIMEOUT: '300ms', SMART_ASYNC_JOBS_DIR: dir },
        stderr: 'inherit',
      });
      const client = new Client({ name: 'stdio-test', version: '1.0.0' });
      await client.connect(transport);
      const ticket = structured(await call(client, 'build_report', { region: 'us', steps: 1000, stepMs: 100, async_mode: true }));
      const pid = transport.pid!;
      const started = Date.now();
      await client.close(); // ends the server's stdin, as a host does
      while (Date.now() - started < 5_000) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await sleep(20);
      }
      expect(Date.now() - started).toBeLessThan(2_000);
      const store = new FileJobStore({ path: dir, onWarning: () => undefined });
      expect((await store.get(ticket.job_id as string))?.status).toBe('stale');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
