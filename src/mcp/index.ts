/**
 * `smart-async/mcp`: decorated services as MCP tools, job tools, and native MCP tasks.
 * Needs `@modelcontextprotocol/sdk` 1.x (optional peer dependency).
 */
export { registerSmartTool, smartToolFields, type SmartToolArgs, type SmartToolConfig, type SmartToolOptions } from './register-smart-tool';
export { registerJobTools, type McpJobOptions } from './register-job-tools';
export { toCallToolResult } from './call-tool-result';
export { requesterOf, type ToolExtra, type V2Context } from './requester';
export { createJobTaskStore, JobTaskStore, type SmartTaskOptions } from './tasks';
