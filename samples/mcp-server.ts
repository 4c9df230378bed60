/**
 * An MCP server (stdio, SDK v1 line: `@modelcontextprotocol/sdk`) exposing a slow report tool and the job tools.
 * For the v2 line over Streamable HTTP with the tasks extension, see `mcp-v2-http.ts`.
 *
 * Run:  npx ts-node --transpile-only samples/mcp-server.ts
 * Host config (Claude Desktop, Cursor, …):
 *   { "mcpServers": { "reports": { "command": "npx", "args": ["ts-node", "--transpile-only", "/path/to/samples/mcp-server.ts"],
 *                                  "env": { "REPORT_TIMEOUT": "20s", "SMART_ASYNC_JOBS_DIR": "/path/to/jobs" } } } }
 *
 * `build_report` answers inline when it is fast, returns a job ticket when it takes longer than
 * its budget (REPORT_TIMEOUT, default 2 s), and a ticket at once with `async_mode: true`. Native
 * MCP tasks work too. Jobs live in memory, or in SMART_ASYNC_JOBS_DIR (a FileJobStore).
 */
import 'reflect-metadata';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { container } from 'tsyringe';
import { z } from 'zod';
import { FileJobStore, JOB_STORE, JobManager, SMART_ASYNC_CONFIG } from '../src';
import { createJobTaskStore, registerJobTools, registerSmartTool } from '../src/mcp';
import { ReportService } from './report-service';

export { ReportService };

export function createServer(reports = new ReportService()): McpServer {
  const tasks = createJobTaskStore(undefined, { pollIntervalMs: 200 });
  const server = new McpServer(
    { name: 'smart-async-reports', version: '1.0.0' },
    { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore: tasks },
  );
  registerSmartTool(
    server,
    'build_report',
    {
      title: 'Build a report',
      description: 'Builds a regional report. Slow reports come back as a job ticket: poll it with job_status.',
      inputSchema: {
        region: z.string().describe('Region code'),
        steps: z.number().int().min(1).max(10_000).describe('How much work'),
        stepMs: z.number().int().min(0).max(60_000).optional(),
      },
    },
    (args) => reports.build(args),
    { tasks },
  );
  registerJobTools(server);
  return server;
}

async function main(): Promise<void> {
  const dir = process.env.SMART_ASYNC_JOBS_DIR;
  if (dir) container.register(JOB_STORE, { useValue: new FileJobStore({ path: dir }) });
  // Hosts close a stdio server by ending its stdin, then SIGTERM, then SIGKILL about 2 s later:
  // background work gets 1 s of grace, so what is left is marked stale before the kill.
  container.register(SMART_ASYNC_CONFIG, { useValue: { closeGraceMs: 1_000, storeTimeoutMs: 500 } });
  const server = createServer();
  await server.connect(new StdioServerTransport());
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      await server.close().catch(() => undefined);
      await container.resolve(JobManager).close();
      process.exit(0);
    })());
  process.stdin.on('end', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
