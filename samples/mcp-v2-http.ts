/**
 * An MCP server on the SDK's v2 line (`@modelcontextprotocol/server`) over Streamable HTTP, with
 * the tasks extension (`io.modelcontextprotocol/tasks`, protocol 2026-07-28). One endpoint serves
 * both eras: 2026-07-28 clients that declare the extension get a task for a slow report and poll
 * it with `tasks/get`; other clients (2025 ones included) get a job ticket and poll `job_status`.
 *
 * Run:  PORT=3000 npx ts-node --transpile-only samples/mcp-v2-http.ts
 * Then point a client at http://127.0.0.1:3000/mcp. `Authorization: Bearer <client>` makes
 * `<client>` the caller's identity (a stand-in for real token verification): each client sees
 * only its own jobs; an anonymous caller reaches a job only by its id.
 */
import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer, type AuthInfo } from '@modelcontextprotocol/server';
import { container } from 'tsyringe';
import { z } from 'zod';
import { JobManager, SMART_ASYNC_CONFIG } from '../src';
import { registerJobTools, registerSmartTool, serveTaskExtension } from '../src/mcp';
import { ReportService } from './report-service';

/** The MCP server of one request (createMcpHandler builds one per request; the jobs outlive it). */
export function createMcpServer(reports: ReportService): McpServer {
  const server = new McpServer({ name: 'smart-async-reports', version: '1.0.0' });
  serveTaskExtension(server, { pollIntervalMs: 500 });
  registerSmartTool(
    server,
    'build_report',
    {
      title: 'Build a report',
      description: 'Builds a regional report. A slow report comes back as a task (or a job ticket: poll it with job_status).',
      inputSchema: {
        region: z.string().max(100).describe('Region code'),
        steps: z.number().int().min(1).max(10_000).describe('How much work'),
        stepMs: z.number().int().min(0).max(60_000).optional(),
      },
    },
    (args) => reports.build(args),
  );
  registerJobTools(server);
  return server;
}

/** The HTTP server: MCP at /mcp, 404 elsewhere. */
export function createHttpServer(reports = new ReportService()): { http: Server; close(): Promise<void> } {
  const handler = createMcpHandler(() => createMcpServer(reports));
  const mcp = toNodeHandler(handler);
  const http = createServer((req: IncomingMessage & { auth?: AuthInfo }, res) => {
    if (!req.url?.startsWith('/mcp')) return void res.writeHead(404).end();
    const bearer = /^Bearer (\S{1,200})$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) req.auth = { token: bearer, clientId: bearer, scopes: [] };
    void mcp(req, res);
  });
  return { http, close: () => handler.close() };
}

async function main(): Promise<void> {
  // Background work gets 1 s of grace on shutdown; what is left is marked stale, never lost silently.
  container.register(SMART_ASYNC_CONFIG, { useValue: { closeGraceMs: 1_000, storeTimeoutMs: 500 } });
  const { http, close } = createHttpServer();
  await new Promise<void>((r) => http.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', r));
  console.log(`MCP (v2 SDK, tasks extension) on http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      http.close();
      http.closeAllConnections();
      await close();
      await container.resolve(JobManager).close();
      process.exit(0);
    })());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
