/**
 * `smart-async/mcp`: decorated services as MCP tools, job tools, and MCP tasks, on either line of
 * the MCP TypeScript SDK: v1 (`@modelcontextprotocol/sdk`, protocol up to 2025-11-25, with its
 * native tasks) and v2 (`@modelcontextprotocol/server`, protocol 2026-07-28, with the tasks
 * extension). Both are optional peer dependencies: install the one you use.
 */
export { registerSmartTool, smartToolFields, type SmartToolArgs, type SmartToolConfig, type SmartToolOptions } from './register-smart-tool';
export { registerJobTools, type McpJobOptions } from './register-job-tools';
export { toCallToolResult } from './call-tool-result';
export { requesterOf } from './requester';
export { serveTaskExtension, taskOf, TASKS_EXTENSION, type ExtensionTask, type TaskExtensionOptions } from './tasks-extension-2026-07-28';
export { createJobTaskStore, JobTaskStore, type McpRequest, type McpResult, type McpTask, type SmartTaskOptions } from './tasks-2025-11-25';
export type {
  McpAuthInfo,
  McpServerLike,
  McpTextContent,
  McpToolAnnotations,
  McpToolResult,
  ToolContextOf,
  ToolExtra,
  V2Context,
} from './shapes';
