/**
 * Graphs as a service: the LangGraph SDK-compatible HTTP API, the run viewer and the MCP server.
 * Every export is named here.
 *
 * @module @blockwork/server
 */

export { startServer, createService, ServeError } from "./server.js";
export type { BlockworkServer, ServeOptions } from "./server.js";
export type { ServedGraph } from "./graphs.js";
export { assistantIdOf } from "./graphs.js";
export { API_ERROR_CODES, ApiError } from "./errors.js";
export type { ApiErrorCode, Issue } from "./errors.js";
export type { RunValues, InterruptJson } from "./state.js";
export { createMcpServer, serveMcpStdio, RESUME_TOOL } from "./mcp.js";
