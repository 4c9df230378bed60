import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

/** What a tool handler gets besides its arguments. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * The owner of the jobs a request starts: the authenticated client id, else the session id,
 * else none (a stdio server has one client, which sees every job).
 */
export function requesterOf(extra: ToolExtra): string | undefined {
  return extra.authInfo?.clientId ?? extra.sessionId;
}
