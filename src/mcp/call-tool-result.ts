import { toJsonResult } from '../index';
import type { McpToolResult } from './shapes';

/**
 * Turns a tool's value (a method's own result or a job ticket) into a `CallToolResult` (either SDK line takes it):
 * `structuredContent` holds the JSON object (non-objects are wrapped as `{ result: value }`,
 * since MCP wants an object there) and one text content holds the same JSON.
 *
 * @throws ResultNotSerialisableError when the value is not JSON.
 * @example
 * toCallToolResult({ rows: 3 }); // { structuredContent: { rows: 3 }, content: [{ type: 'text', text: '{"rows":3}' }] }
 */
export function toCallToolResult(value: unknown): McpToolResult {
  const json = toJsonResult(value);
  const structured =
    json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : { result: json };
  return { structuredContent: structured, content: [{ type: 'text', text: JSON.stringify(structured) }] };
}

/** @internal A tool error: `isError` with the message as text, never a protocol failure. */
export function toolError(error: unknown): McpToolResult {
  const e = error as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return { isError: true, content: [{ type: 'text', text: code ? `${code}: ${message}` : message }] };
}

/** @internal Runs a tool's work: its value as a result (`toCallToolResult` unless `shape` says otherwise), its error as a tool error. */
export async function toolResult<R extends object = McpToolResult>(
  work: () => Promise<unknown>,
  shape: (value: unknown) => R | Promise<R> = toCallToolResult as (value: unknown) => R,
): Promise<R | McpToolResult> {
  try {
    return await shape(await work());
  } catch (e) {
    return toolError(e);
  }
}
