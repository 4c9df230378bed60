/**
 * The MCP Tasks extension (`io.modelcontextprotocol/tasks`, protocol 2026-07-28) on the SDK's v2
 * line, served from the JobManager: a smart tool's call that outlives its budget (or asks for
 * async mode) gets a `CreateTaskResult` when the request declares the extension, and
 * `tasks/get`, `tasks/update` and `tasks/cancel` answer from the jobs.
 */
import { z } from 'zod';
import { emitSmartAsyncWarning, SmartAsyncConfigError, type JobManager, type JobRecord } from '../index';
import { toCallToolResult, toolError } from './call-tool-result';
import { findVisibleJob, lookupVisibleJob, managerFor, managersOf, type McpJobOptions } from './managers';
import { viewOf, visibilityOf, type RequestView } from './requester';
import type { McpServerLike, V2Context } from './shapes';

/** The extension's identifier. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** Options of the tasks extension (`serveTaskExtension()`). */
export interface TaskExtensionOptions extends McpJobOptions {
  /** The polling interval suggested to clients (`pollIntervalMs`). @default 1000 */
  pollIntervalMs?: number;
  /** The tasks' time to live from creation (`ttlMs`); `null` for unlimited. @default null */
  ttlMs?: number | null;
}

/** A task as the extension shapes it (`DetailedTask`): the result or error inlined once final. */
export interface ExtensionTask {
  taskId: string;
  status: 'working' | 'completed' | 'failed' | 'cancelled';
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number | null;
  pollIntervalMs: number;
  /** A completed task's `CallToolResult` (`isError` when the work threw: a tool error, as inline). */
  result?: Record<string, unknown>;
  /** A failed task's JSON-RPC error: the job went `stale` (its process stopped renewing it). */
  error?: { code: number; message: string };
}

/** JSON-RPC error codes the extension answers with. */
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;
const MISSING_CLIENT_CAPABILITY = -32021;

/** An error the SDK turns into a JSON-RPC error response with this numeric code. */
function rpcError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { code, data });
}

/** Whether a request declared the tasks extension in its per-request client capabilities. */
export function declaresTasks(view: RequestView): boolean {
  const declared = view.clientCapabilities?.extensions?.[TASKS_EXTENSION];
  return typeof declared === 'object' && declared !== null;
}

/**
 * The extension's task of a job. `pending`/`running` are `working`; a job that threw is
 * `completed` with a tool error as its result (the extension keeps `failed` for JSON-RPC errors);
 * a `stale` job is `failed` for good (its process stopped); `cancelled` stays `cancelled`.
 */
export function taskOf(job: JobRecord, options: TaskExtensionOptions = {}): ExtensionTask {
  const task: ExtensionTask = {
    taskId: job.id,
    status: 'working',
    createdAt: job.created_at,
    lastUpdatedAt: job.updated_at,
    ttlMs: options.ttlMs ?? null,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
  };
  const message = job.error?.message ?? job.progress?.message;
  if (message) task.statusMessage = message;
  switch (job.status) {
    case 'completed':
      return { ...task, status: 'completed', result: { ...toCallToolResult(job.result), resultType: 'complete' } };
    case 'failed':
      return { ...task, status: 'completed', result: { ...toolError(job.error), resultType: 'complete' } };
    case 'stale':
      return {
        ...task,
        status: 'failed',
        error: { code: INTERNAL_ERROR, message: job.error?.message ?? 'The job was lost: its process stopped' },
      };
    case 'cancelled':
      return { ...task, status: 'cancelled' };
    default:
      return task;
  }
}

/** Per server: the options its extension handlers read (set again by a later `serveTaskExtension`). */
const served = new WeakMap<object, TaskExtensionOptions>();
/** Servers whose extension methods and capability are in place. */
const installed = new WeakSet<object>();

/** @internal Whether `server` answers `tasks/*` (so a tool may hand out tasks). */
export function servesTasks(server: McpServerLike): boolean {
  return installed.has(server);
}

interface V2LowLevelServer {
  registerCapabilities(capabilities: Record<string, unknown>): void;
  setRequestHandler(
    method: string,
    schemas: { params: z.ZodType },
    handler: (params: { taskId: string }, ctx: V2Context) => Promise<Record<string, unknown>>,
  ): void;
}

/**
 * Serves the tasks extension on a v2 `McpServer` (`@modelcontextprotocol/server`): declares it in
 * the server's capabilities and answers `tasks/get`, `tasks/update` and `tasks/cancel` from the
 * jobs of the server's smart tools. `registerSmartTool()` calls it on every v2 server; call it
 * yourself to set `pollIntervalMs` / `ttlMs` (again later to change them). Must run before the
 * server connects. A request must declare the extension (else `-32021`); a task is found only
 * by whoever may see its job (the owner rule of `registerJobTools`), else `-32602`.
 *
 * @throws SmartAsyncConfigError when `server` is not a v2 McpServer.
 * @example
 * serveTaskExtension(server, { pollIntervalMs: 2000 });
 */
export function serveTaskExtension(server: McpServerLike, options: TaskExtensionOptions = {}): void {
  served.set(server, options);
  if (!installed.has(server)) install(server);
}

/** @internal Serves the extension on `server` unless it is already served (keeping its options). */
export function ensureTaskExtension(server: McpServerLike): void {
  if (served.has(server)) return;
  try {
    serveTaskExtension(server);
  } catch (e) {
    // A tool registered after the server connected can no longer add a capability: it still works, with tickets.
    emitSmartAsyncWarning(
      `The MCP tasks extension is not served on this server (${e instanceof Error ? e.message : String(e)}); its smart tools answer with job tickets`,
    );
  }
}

function install(server: McpServerLike): void {
  const low = (server as unknown as { server?: Partial<V2LowLevelServer> }).server;
  if (typeof low?.setRequestHandler !== 'function' || typeof low.registerCapabilities !== 'function') {
    throw new SmartAsyncConfigError(
      'The tasks extension needs an McpServer of @modelcontextprotocol/server 2.x (on v1, use createJobTaskStore for 2025-11-25 tasks)',
    );
  }
  low.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } });
  const params = z.object({ taskId: z.string().max(200) }).loose();
  const find = async (taskId: string, ctx: V2Context): Promise<{ job: JobRecord; manager: JobManager }> => {
    if (!declaresTasks(viewOf(ctx))) {
      throw rpcError(MISSING_CLIENT_CAPABILITY, 'Missing required client capability', {
        requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
      });
    }
    let found;
    try {
      found = await lookupVisibleJob(managersOf(server, managerFor(served.get(server))), taskId, visibilityOf(ctx));
    } catch (e) {
      throw rpcError(INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
    }
    if (!found) throw rpcError(INVALID_PARAMS, 'Failed to retrieve task: Task not found');
    return found;
  };
  low.setRequestHandler('tasks/get', { params }, async ({ taskId }, ctx) => ({
    ...taskOf((await find(taskId, ctx)).job, served.get(server)),
  }));
  // No smart tool asks the client for input, so an update only has to name a task the caller may see.
  low.setRequestHandler('tasks/update', { params }, async ({ taskId }, ctx) => (await find(taskId, ctx), {}));
  low.setRequestHandler('tasks/cancel', { params }, async ({ taskId }, ctx) => {
    const { job, manager } = await find(taskId, ctx);
    await manager.cancel(job.id, 'Cancelled by the client (tasks/cancel)', { owner: job.owner });
    return {};
  });
  installed.add(server);
}

/**
 * @internal The `CreateTaskResult` of a job just handed out as a ticket: read back from the store
 * first, so `tasks/get` for it resolves (the job is durable) before the client hears of it.
 */
export async function createTaskResult(server: McpServerLike, jobId: string, ctx: V2Context): Promise<Record<string, unknown>> {
  const opts = served.get(server);
  const { job } = await findVisibleJob(managersOf(server, managerFor(opts)), jobId, visibilityOf(ctx));
  const { result: _result, error: _error, ...task } = taskOf(job, opts);
  return { resultType: 'task', ...task };
}
