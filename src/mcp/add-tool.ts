import type { z } from 'zod';
import type { McpServerLike, McpToolAnnotations, McpToolResult, ToolExtra, V2Context } from './shapes';

/** @internal A tool's configuration, as both SDK lines take it (the input as a zod object schema). */
export interface ToolConfig<Schema extends z.ZodObject> {
  title?: string;
  description?: string;
  inputSchema: Schema;
  annotations?: McpToolAnnotations;
}

/** @internal Registers a tool on an McpServer of either SDK line. */
export function addTool<Schema extends z.ZodObject>(
  server: McpServerLike,
  name: string,
  config: ToolConfig<Schema>,
  callback: (args: z.output<Schema>, ctx: ToolExtra | V2Context) => Promise<McpToolResult | Record<string, unknown>>,
): unknown {
  const { title, description, inputSchema, annotations } = config;
  return (server.registerTool as (name: string, config: unknown, callback: unknown) => unknown).call(
    server,
    name,
    { title, description, inputSchema, annotations },
    callback,
  );
}

/** @internal Whether `server` is v1's McpServer (it has the experimental tasks API; v2's has not). */
export function isV1Server(server: McpServerLike): boolean {
  const tasks = (server as { experimental?: { tasks?: unknown } }).experimental?.tasks;
  return typeof tasks === 'object' && tasks !== null;
}
