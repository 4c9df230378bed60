import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ZodRawShapeCompat, ShapeOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { currentJobManager, withCallOptions, type CallOptions, type JobManager, type JobProgress } from '../index';
import { toolResult } from './call-tool-result';
import { noteToolManager, type McpJobOptions } from './register-job-tools';
import { ownerOf, viewOf, type ToolExtra } from './requester';
import { registerTaskTool, type SmartTaskOptions } from './tasks';

/** The fields `registerSmartTool()` adds to a tool's input schema. */
export const smartToolFields = {
  async_mode: z.boolean().optional().describe('Start the work in the background and return a job ticket at once; poll it with job_status'),
  job_label: z.string().min(1).max(200).optional().describe('A label for the background job (at most 200 characters)'),
  asyncMode: z.boolean().optional().describe('Same as async_mode'),
  jobLabel: z.string().min(1).max(200).optional().describe('Same as job_label'),
};

/** A tool's arguments: its own fields plus `async_mode` and `job_label` (or `asyncMode` / `jobLabel`). */
export type SmartToolArgs<Shape extends ZodRawShapeCompat> = ShapeOutput<Shape> & { async_mode?: boolean; job_label?: string; asyncMode?: boolean; jobLabel?: string };

/** Configuration of a smart tool (as `McpServer.registerTool`'s, with a zod shape as input schema). */
export interface SmartToolConfig<Shape extends ZodRawShapeCompat> {
  title?: string;
  description?: string;
  inputSchema: Shape;
  annotations?: ToolAnnotations;
}

/** Options of `registerSmartTool()`. */
export interface SmartToolOptions extends McpJobOptions, SmartTaskOptions {}

/**
 * @internal Runs the tool handler with the request's owner, cancellation, progress and manager as
 * call options, so the decorated method it calls does the rest. Progress notifications are
 * coalesced: at most one per `progressIntervalMs` per request, and the last report is always
 * sent before the response.
 */
export function callWithRequest<T>(extra: ToolExtra, fn: () => T, extraOptions: CallOptions = {}, manager?: JobManager): T {
  const request = viewOf(extra);
  const token = request.progressToken;
  let open = true;
  let onProgress: ((p: JobProgress) => void) | undefined;
  let flush = (): void => undefined;
  if (token !== undefined) {
    const interval = (manager ?? currentJobManager()).progressIntervalMs;
    let last = 0;
    let pending: JobProgress | undefined;
    let timer: NodeJS.Timeout | undefined;
    const send = (p: JobProgress): void => {
      last = Date.now();
      request.notify('notifications/progress', { progressToken: token, progress: p.current, total: p.total, message: p.message }).catch(() => undefined);
    };
    flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (pending && open) send(pending);
      pending = undefined;
    };
    onProgress = (p) => {
      if (!open) return;
      pending = p;
      const wait = last + interval - Date.now();
      if (wait <= 0) return flush();
      timer ??= setTimeout(flush, wait);
    };
  }
  const result = withCallOptions({ owner: ownerOf(request), signal: request.signal, onProgress, manager, ...extraOptions }, fn);
  // The last report goes out before the response; after it, a background job's progress goes to its record only.
  const close = (): void => {
    flush();
    open = false;
  };
  void Promise.resolve(result).then(close, close);
  return result;
}

/**
 * Makes a decorated service method an MCP tool. The model gets the method's result when it is
 * fast, a `running` ticket when the budget runs out, and a `pending` ticket when it passes
 * `async_mode: true`; either comes back as `structuredContent` plus one JSON text content.
 * Progress reported through `jobContext()` reaches the client as `notifications/progress` while
 * the request is open; the client's cancellation aborts the work's signal; jobs belong to the
 * requesting client. With `tasks` (see `createJobTaskStore`), task-augmented calls get native
 * MCP tasks.
 *
 * @example
 * registerSmartTool(server, 'build_report', { description: 'Builds a report', inputSchema: { region: z.string() } },
 *   (args) => reports.build(args));
 */
export function registerSmartTool<Shape extends ZodRawShapeCompat>(
  server: McpServer,
  name: string,
  config: SmartToolConfig<Shape>,
  handler: (args: SmartToolArgs<Shape>, extra: ToolExtra) => unknown,
  opts?: SmartToolOptions,
): RegisteredTool {
  const inputSchema = { ...config.inputSchema, ...smartToolFields };
  if (opts?.manager) noteToolManager(server, opts.manager);
  const run = (args: SmartToolArgs<Shape>, extra: ToolExtra): Promise<CallToolResult> =>
    toolResult(async () => callWithRequest(extra, () => handler(args, extra), {}, opts?.manager));
  if (opts?.tasks) {
    if (opts.manager) opts.tasks.adopt(opts.manager);
    const tasks = opts.tasks;
    return registerTaskTool(server, name, { ...config, inputSchema }, run, handler as (args: unknown, extra: ToolExtra) => unknown, tasks, () => opts.manager ?? tasks.primary(), callWithRequest);
  }
  return server.registerTool(name, { title: config.title, description: config.description, inputSchema, annotations: config.annotations }, run as never);
}
