/**
 * The parts of the MCP SDKs that `smart-async/mcp` touches, as structural types. Neither SDK line
 * is imported in the public types: a project with only v1 (`@modelcontextprotocol/sdk`) or only
 * v2 (`@modelcontextprotocol/server`) installed type-checks without `skipLibCheck`.
 */

/**
 * An `McpServer` of either SDK line: v1's (`@modelcontextprotocol/sdk/server/mcp.js`) or v2's
 * (`@modelcontextprotocol/server`). Only `registerTool` is required of it.
 */
export interface McpServerLike {
  /** The SDK's tool registration (its exact signature differs between the lines). */
  registerTool(name: string, config: never, callback: never): unknown;
}

/** A text content block of a tool result. */
export interface McpTextContent {
  type: 'text';
  text: string;
}

/** A `CallToolResult` as both SDK lines accept it from a tool callback. */
export type McpToolResult = {
  content: McpTextContent[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/** Hints about a tool's behaviour (MCP `ToolAnnotations`). */
export type McpToolAnnotations = {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
};

/** Who the SDK says is calling (MCP `AuthInfo`, the part smart-async reads). */
export interface McpAuthInfo {
  /** The OAuth client the token was issued to: the owner of the jobs it starts. */
  clientId?: string;
  [key: string]: unknown;
}

/**
 * What the SDK's v1 line (`@modelcontextprotocol/sdk`) hands a tool callback besides its
 * arguments: its `extra` (the part smart-async reads; the SDK's own object has more).
 */
export interface ToolExtra {
  /** The session, over a stateful transport. */
  sessionId?: string;
  /** The validated auth info, when the transport has one. */
  authInfo?: McpAuthInfo;
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
  /** The request's metadata (its progress token). */
  _meta?: { progressToken?: string | number; [key: string]: unknown };
  /** Present over HTTP: the request's headers. */
  requestInfo?: unknown;
  /** Sends a notification related to this request. */
  sendNotification(notification: never): Promise<void>;
}

/** What the SDK's v2 line (`@modelcontextprotocol/server`) hands a tool callback: its `ctx` (the part smart-async reads). */
export interface V2Context {
  /** The session, over a stateful transport. */
  sessionId?: string;
  /** The request: its metadata (progress token), per-request envelope (2026-07-28), cancellation signal and notification channel. */
  mcpReq: {
    _meta?: { progressToken?: string | number; [key: string]: unknown };
    envelope?: Record<string, unknown>;
    signal: AbortSignal;
    notify(n: { method: string; params?: Record<string, unknown> }): Promise<void>;
  };
  /** Present over HTTP: the auth info, if any. */
  http?: { authInfo?: McpAuthInfo; req?: unknown };
}

/**
 * The second argument a tool callback of server `S` gets: v1's `extra` or v2's `ctx`.
 * (v1's McpServer has the `experimental.tasks` API; v2's has not.)
 */
export type ToolContextOf<S> = S extends { experimental: { tasks: unknown } } ? ToolExtra : V2Context;
