/**
 * Native MCP tasks (protocol revision 2025-11-25) served from the JobManager.
 *
 * The SDK marks its task API experimental (`experimental/tasks`) and its 2.x line drops it, so
 * everything that touches it lives in this file: the `TaskStore` adapter, the task-capable tool
 * registration, and the one place that reads an SDK internal (see `installTaskFlag`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { z } from 'zod';
import { randomUUID } from 'node:crypto';
import {
  canList,
  currentJobManager,
  isJobTicket,
  JobManager,
  JobNotFoundError,
  SmartAsyncConfigError,
  type JobRecord,
  type Viewer,
} from '../index';
import type { ToolConfig } from './add-tool';
import { toCallToolResult, toolError } from './call-tool-result';
import { cancelVisibleJob, findVisibleJob, listAcross, lookupVisibleJob, managersOf } from './managers';
import { callWithRequest, currentRequest, requesterOf, visibilityOf } from './requester';
import type { McpServerLike, McpToolResult, ToolExtra } from './shapes';

/** A native MCP task of protocol 2025-11-25 (the v1 SDK's `Task`). */
export interface McpTask {
  taskId: string;
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
  ttl: number | null;
  createdAt: string;
  lastUpdatedAt: string;
  pollInterval?: number;
  statusMessage?: string;
}

/** A JSON-RPC result (the v1 SDK's `Result`). */
export type McpResult = { [key: string]: unknown };

/** A JSON-RPC request as the task store sees it (the v1 SDK's `Request`). */
export type McpRequest = { method: string; params?: { [key: string]: unknown } };

/** Options of `registerSmartTool()` for native tasks. */
export interface SmartTaskOptions {
  /** The task store given to the `McpServer` (`createJobTaskStore()`); makes the tool task-capable. */
  tasks?: JobTaskStore;
}

const STATUS: Record<JobRecord['status'], McpTask['status']> = {
  pending: 'working',
  running: 'working',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  stale: 'failed',
};

/**
 * A `TaskStore` whose tasks are the JobManager's jobs (task id = job id): `tasks/get`,
 * `tasks/result`, `tasks/list` and `tasks/cancel` answer from the jobs, and `tasks/cancel`
 * really aborts the work. Tasks are scoped to the session that created them.
 *
 * @example
 * const tasks = createJobTaskStore();
 * const server = new McpServer({ name: 'reports', version: '1.0.0' }, { capabilities: { tasks: { requests: { tools: { call: {} } }, list: {}, cancel: {} } }, taskStore: tasks });
 * registerSmartTool(server, 'build_report', config, (args) => reports.build(args), { tasks });
 */
export class JobTaskStore {
  /** Results of calls that asked for no task but went through the SDK's automatic task polling. */
  private readonly inline = new Map<string, { task: McpTask; result: McpToolResult }>();
  /** Tasks created through `createTask` by other task tools: settled by `storeTaskResult`. */
  private readonly generic = new Map<string, { resolve: (r: McpResult) => void; reject: (e: Error) => void }>();
  private readonly genericIds = new Set<string>();

  /**
   * @param manager the JobManager (or a function that returns it, resolved at each use)
   * @param options `pollIntervalMs` suggested to clients @default 1000; `ttlMs` reported as the tasks' ttl @default null
   */
  constructor(
    private readonly manager: () => JobManager,
    private readonly options: { pollIntervalMs?: number; ttlMs?: number | null } = {},
  ) {}

  /** The manager a new task of this store goes to. */
  primary(): JobManager {
    return this.manager();
  }

  /** The job of a task, from whichever manager holds it, if the request may see it. */
  private find(taskId: string, v: Viewer): Promise<{ job: JobRecord; manager: JobManager }> {
    return findVisibleJob(managersOf(this, this.manager()), taskId, v);
  }

  /** Who asks: the request being served (auth client id, else session id), else the session the SDK passes. */
  private visibility(sessionId: string | undefined): Viewer {
    return visibilityOf(currentRequest.getStore(), sessionId);
  }

  /** The MCP task of a job. */
  toTask(job: JobRecord): McpTask {
    const task: McpTask = {
      taskId: job.id,
      status: STATUS[job.status],
      ttl: this.options.ttlMs ?? null,
      createdAt: job.created_at,
      lastUpdatedAt: job.updated_at,
      pollInterval: this.options.pollIntervalMs ?? 1000,
    };
    const message = job.error?.message ?? job.progress?.message;
    if (message) task.statusMessage = message;
    return task;
  }

  /** @internal Keeps the result of a call that needed no task, as an already completed task. */
  stashInline(result: McpToolResult): McpTask {
    const now = new Date().toISOString();
    const task: McpTask = {
      taskId: `inline-${randomUUID()}`,
      status: result.isError ? 'failed' : 'completed',
      ttl: 0,
      createdAt: now,
      lastUpdatedAt: now,
    };
    this.inline.set(task.taskId, { task, result });
    return task;
  }

  /** Creates a task for a task-augmented request of another tool: a job settled by `storeTaskResult`. */
  async createTask(_params: unknown, _requestId: string | number, request: McpRequest, sessionId?: string): Promise<McpTask> {
    let settle!: { resolve: (r: McpResult) => void; reject: (e: Error) => void };
    const outcome = new Promise<McpResult>((resolve, reject) => (settle = { resolve, reject }));
    const name = (request.params as { name?: unknown } | undefined)?.name;
    const ticket = await this.manager().launch(() => outcome, {
      label: typeof name === 'string' ? name : request.method,
      asyncMode: true,
      owner: this.visibility(sessionId).owner,
    });
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    this.generic.set(ticket.job_id, settle);
    this.genericIds.add(ticket.job_id);
    return this.toTask((await this.manager().get(ticket.job_id))!);
  }

  async getTask(taskId: string, sessionId?: string): Promise<McpTask | null> {
    const inline = this.inline.get(taskId);
    if (inline) return inline.task;
    const found = await lookupVisibleJob(managersOf(this, this.manager()), taskId, this.visibility(sessionId));
    return found ? this.toTask(found.job) : null;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: McpResult): Promise<void> {
    const settle = this.generic.get(taskId);
    this.generic.delete(taskId);
    if (status === 'completed') settle?.resolve(result);
    else settle?.reject(new Error(JSON.stringify(result)));
  }

  async getTaskResult(taskId: string, sessionId?: string): Promise<McpResult> {
    const inline = this.inline.get(taskId);
    if (inline) {
      this.inline.delete(taskId);
      return inline.result;
    }
    const { job } = await this.find(taskId, this.visibility(sessionId));
    if (job.status === 'completed') return this.genericIds.has(taskId) ? (job.result as McpResult) : toCallToolResult(job.result);
    if (job.status === 'pending' || job.status === 'running') throw new Error(`Task ${taskId} has not finished`);
    return toolError(job.error ?? { message: `Job ${job.status}` });
  }

  async updateTaskStatus(taskId: string, status: McpTask['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    if (status !== 'cancelled') return;
    await cancelVisibleJob(managersOf(this, this.manager()), taskId, this.visibility(sessionId), statusMessage);
  }

  async listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: McpTask[]; nextCursor?: string }> {
    const offset = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(offset) || offset < 0)
      throw new SmartAsyncConfigError(`Expected a task list cursor from a previous page, got ${JSON.stringify(cursor)}`);
    const page = 50;
    const v = this.visibility(sessionId);
    if (!canList(v)) return { tasks: [] };
    const jobs = await listAcross(managersOf(this, this.manager()), { owner: v.owner, limit: offset + page + 1 });
    const tasks = jobs.slice(offset, offset + page).map((j) => this.toTask(j));
    return jobs.length > offset + page ? { tasks, nextCursor: String(offset + page) } : { tasks };
  }
}

/**
 * A `TaskStore` for `new McpServer(info, { taskStore })` backed by a JobManager.
 * @param manager the manager @default the JobManager of the configured container, resolved at each use
 */
export function createJobTaskStore(
  manager?: JobManager | (() => JobManager),
  options?: { pollIntervalMs?: number; ttlMs?: number | null },
): JobTaskStore {
  const get = manager instanceof JobManager ? () => manager : (manager ?? currentJobManager);
  return new JobTaskStore(get, options);
}

/** Whether the tools/call being served asked for a task. */
const taskCall = new AsyncLocalStorage<boolean>();
const flagged = new WeakSet<object>();

type Extra = Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'>;
type Handler = (request: { params?: { task?: unknown } }, extra: Extra) => Promise<unknown>;

/** The part of v1's McpServer the task registration uses. */
interface V1TaskServer {
  server: { _requestHandlers?: Map<string, Handler> };
  experimental: { tasks: { registerToolTask(name: string, config: unknown, handler: unknown): unknown } };
}

/**
 * The SDK's tool callback cannot see whether its request asked for a task, and its task store is
 * called without the request's auth info. So the server's handlers of `tools/call` and `tasks/*`
 * are wrapped to say both (the owner rule needs the client id first). This reads the SDK's
 * private handler map: it is the part to check when the SDK changes.
 */
function installTaskFlag(server: V1TaskServer): void {
  if (flagged.has(server)) return;
  const handlers = server.server._requestHandlers;
  const original = handlers?.get('tools/call');
  if (!handlers || !original) {
    throw new SmartAsyncConfigError(
      'This version of @modelcontextprotocol/sdk is not supported for native tasks: register smart tools without `tasks`',
    );
  }
  handlers.set('tools/call', (request, extra) =>
    currentRequest.run(extra, () => taskCall.run(request.params?.task !== undefined, () => original(request, extra))),
  );
  for (const method of ['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']) {
    const handler = handlers.get(method);
    if (handler) handlers.set(method, (request, extra) => currentRequest.run(extra, () => handler(request, extra)));
  }
  flagged.add(server);
}

/** @internal Registers a smart tool on a v1 McpServer that also answers task-augmented calls with a native task. */
export function registerTaskTool(
  mcp: McpServerLike,
  name: string,
  config: ToolConfig<z.ZodObject>,
  run: (args: unknown, extra: ToolExtra) => Promise<McpToolResult>,
  handler: (args: unknown, extra: ToolExtra) => unknown,
  store: JobTaskStore,
  manager: () => JobManager,
): unknown {
  const server = mcp as unknown as V1TaskServer;
  const tool = server.experimental.tasks.registerToolTask(
    name,
    { ...config, execution: { taskSupport: 'optional' } },
    {
      createTask: async (args: unknown, extra: ToolExtra) => {
        // No task asked for: the smart behaviour; the SDK's automatic polling collects the result at once.
        if (!taskCall.getStore()) return { task: store.stashInline(await run(args, extra)) };
        const ticket = await callWithRequest(extra, () => handler(args, extra), { asyncMode: true, owner: requesterOf(extra) }, manager());
        if (!isJobTicket(ticket)) return { task: store.stashInline(toCallToolResult(ticket)) };
        return { task: store.toTask((await manager().get(ticket.job_id))!) };
      },
      getTask: async (_args: unknown, extra: ToolExtra & { taskId: string }) => {
        const task = await currentRequest.run(extra, () => store.getTask(extra.taskId, extra.sessionId));
        if (!task) throw new JobNotFoundError(extra.taskId);
        return task;
      },
      getTaskResult: async (_args: unknown, extra: ToolExtra & { taskId: string }) =>
        await currentRequest.run(extra, () => store.getTaskResult(extra.taskId, extra.sessionId)),
    },
  );
  installTaskFlag(server);
  return tool;
}
