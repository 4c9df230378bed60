import { z } from 'zod';
import { isJobTicket } from '../index';
import { addTool, isV1Server } from './add-tool';
import { toCallToolResult, toolResult } from './call-tool-result';
import { noteManager } from './managers';
import type { McpJobOptions } from './managers';
import { callWithRequest, viewOf } from './requester';
import type { McpServerLike, McpToolAnnotations, McpToolResult, ToolContextOf, ToolExtra, V2Context } from './shapes';
import { createTaskResult, declaresTasks, ensureTaskExtension, servesTasks } from './tasks-extension-2026-07-28';
import { registerTaskTool, type SmartTaskOptions } from './tasks-2025-11-25';

/** The fields `registerSmartTool()` adds to a tool's input schema. */
export const smartToolFields = {
  async_mode: z.boolean().optional().describe('Start the work in the background and return a job ticket at once; poll it with job_status'),
  job_label: z.string().min(1).max(200).optional().describe('A label for the background job (at most 200 characters)'),
  asyncMode: z.boolean().optional().describe('Same as async_mode'),
  jobLabel: z.string().min(1).max(200).optional().describe('Same as job_label'),
};

/** A tool's arguments: its own fields plus `async_mode` and `job_label` (or `asyncMode` / `jobLabel`). */
export type SmartToolArgs<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>> & {
  async_mode?: boolean;
  job_label?: string;
  asyncMode?: boolean;
  jobLabel?: string;
};

/** Configuration of a smart tool (as `McpServer.registerTool`'s, with a zod shape as input schema). */
export interface SmartToolConfig<Shape extends z.ZodRawShape> {
  title?: string;
  description?: string;
  /** The tool's own fields, as a zod shape (`{ region: z.string() }`). */
  inputSchema: Shape;
  annotations?: McpToolAnnotations;
}

/** Options of `registerSmartTool()`. */
export interface SmartToolOptions extends McpJobOptions, SmartTaskOptions {}

/**
 * Makes a decorated service method an MCP tool, on an `McpServer` of either SDK line (v1's
 * `@modelcontextprotocol/sdk` or v2's `@modelcontextprotocol/server`). The model gets the
 * method's result when it is fast, a `running` ticket when the budget runs out, and a `pending`
 * ticket when it passes `async_mode: true`; either comes back as `structuredContent` plus one JSON
 * text content. Progress reported through `jobContext()` reaches the client as
 * `notifications/progress` while the request is open (coalesced); the client's cancellation
 * aborts the work's signal; jobs belong to the requesting client.
 *
 * Tasks: on v2, a request that declares the tasks extension (`io.modelcontextprotocol/tasks`)
 * gets a `CreateTaskResult` instead of a ticket (see `serveTaskExtension`). On v1, with `tasks`
 * (see `createJobTaskStore`), task-augmented calls get native 2025-11-25 tasks.
 *
 * @example
 * registerSmartTool(server, 'build_report', { description: 'Builds a report', inputSchema: { region: z.string() } },
 *   (args) => reports.build(args));
 */
export function registerSmartTool<S extends McpServerLike, Shape extends z.ZodRawShape>(
  server: S,
  name: string,
  config: SmartToolConfig<Shape>,
  handler: (args: SmartToolArgs<Shape>, extra: ToolContextOf<S>) => unknown,
  opts?: SmartToolOptions,
): ReturnType<S['registerTool']> {
  const inputSchema = z.object({ ...config.inputSchema, ...smartToolFields });
  const tool = { title: config.title, description: config.description, inputSchema, annotations: config.annotations };
  const call = handler as (args: unknown, ctx: ToolExtra | V2Context) => unknown;
  if (opts?.manager) noteManager(server, opts.manager);
  const run = (args: unknown, ctx: ToolExtra | V2Context): Promise<McpToolResult> =>
    toolResult(async () => callWithRequest(ctx, () => call(args, ctx), {}, opts?.manager));
  if (isV1Server(server)) {
    if (!opts?.tasks) return addTool(server, name, tool, run) as ReturnType<S['registerTool']>;
    if (opts.manager) noteManager(opts.tasks, opts.manager);
    const tasks = opts.tasks;
    return registerTaskTool(server, name, tool, run, call, tasks, () => opts.manager ?? tasks.primary()) as ReturnType<S['registerTool']>;
  }
  ensureTaskExtension(server);
  // A request that declares the tasks extension gets a task where others get a ticket.
  return addTool(server, name, tool, (args, ctx) =>
    servesTasks(server) && declaresTasks(viewOf(ctx))
      ? toolResult(
          async () => callWithRequest(ctx, () => call(args, ctx), {}, opts?.manager),
          (value) => (isJobTicket(value) ? createTaskResult(server, value.job_id, ctx as V2Context) : toCallToolResult(value)),
        )
      : run(args, ctx),
  ) as ReturnType<S['registerTool']>;
}
