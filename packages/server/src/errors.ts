import type { z } from "zod";

/** One problem with a value, as the contract's schema reported it. */
export interface Issue {
  /** Where in the value (`["items", 0, "price"]`); empty for the value itself. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

/**
 * An error the API answers with: an HTTP status and a JSON body `{ error, message, ...details }`
 * (`error` is a stable code; `message` says what failed and how to fix it).
 *
 * @example
 * throw new ApiError(404, "thread_not_found", `thread ${id} does not exist`);
 */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The response body. */
  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}

/** A zod error's issues, as plain data. */
export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message, code: i.code }));
}

/**
 * Every `error` code the HTTP API answers with, its status and what it means (docs/errors.md
 * lists the same; a test keeps them in sync). Errors of runs keep the core's codes (`resume_invalid`, ...).
 */
export const API_ERROR_CODES = {
  invalid_json: { status: 400, meaning: "The body is not valid JSON (or not UTF-8)." },
  unauthorized: { status: 401, meaning: "A token is required and none, or a wrong one, was sent: `Authorization: Bearer <token>` or `x-api-key`." },
  host_not_allowed: { status: 403, meaning: "The Host header names another host (DNS-rebinding protection); allow a name with `--allowed-host`." },
  origin_not_allowed: { status: 403, meaning: "A browser page on another origin called the API; allow it with `--cors <origin>`." },
  not_found: { status: 404, meaning: "No such route (or viewer asset)." },
  assistant_not_found: { status: 404, meaning: "No graph with that assistant id, graph id or version is served." },
  thread_not_found: { status: 404, meaning: "No thread with that id (pass `if_not_exists: \"create\"` to create it with the run)." },
  run_not_found: { status: 404, meaning: "No run with that id (on that thread)." },
  checkpoint_not_found: { status: 404, meaning: "The thread has no checkpoint with that id." },
  version_not_found: { status: 404, meaning: "No such graph version is served or used by a run in the store (viewer diffs)." },
  read_only: { status: 405, meaning: "Assistants are the graphs the server was started with; they cannot be created, changed or deleted over HTTP." },
  thread_exists: { status: 409, meaning: "A thread with that id exists already (pass `if_exists: \"do_nothing\"`)." },
  thread_busy: { status: 409, meaning: "The thread runs a run already; join or cancel it first (only `multitask_strategy: \"reject\"`)." },
  not_suspended: { status: 409, meaning: "`command.resume` was given, but the thread's newest run is not suspended." },
  version_not_served: { status: 409, meaning: "The run is pinned to a graph version this server does not serve, so it cannot be resumed here." },
  assistant_mismatch: { status: 409, meaning: "The thread runs another graph than the assistant asked for." },
  run_ended: { status: 409, meaning: "The run has ended, so it cannot be cancelled." },
  run_active: { status: 409, meaning: "The run is still in progress, so it cannot be deleted." },
  not_cancellable: { status: 409, meaning: "The run cannot be cancelled here (for example a suspended run on workers)." },
  not_resumed: { status: 409, meaning: "The viewer's resume was refused by the run (it was resumed already, or has ended)." },
  payload_too_large: { status: 413, meaning: "The body is larger than the server's limit (`--body-limit`, default 1 MiB)." },
  unsupported_media_type: { status: 415, meaning: "A body was sent without `Content-Type: application/json`." },
  invalid_request: { status: 422, meaning: "The body or query does not match the API's schema; `issues` says where." },
  invalid_id: { status: 422, meaning: "A thread or run id in the path is not a UUID." },
  input_invalid: { status: 422, meaning: "The run's input does not satisfy the graph's input schema; `issues` lists the contract's issues." },
  resume_invalid: { status: 422, meaning: "`command.resume` does not satisfy the suspended block's resume schema; `issues` lists the contract's issues." },
  resume_ambiguous: { status: 422, meaning: "The run waits at several suspensions: give `command.resume` as an object keyed by their ids." },
  unsupported: { status: 422, meaning: "A LangGraph option Blockwork has no equivalent for (interrupt_before, checkpoints, webhooks, command.update, ...)." },
  internal_error: { status: 500, meaning: "The server failed; the message says how." },
  viewer_not_built: { status: 503, meaning: "The viewer's assets are missing: run `npm run build`." },
  client_closed: { status: 499, meaning: "The client went away while waiting (never seen by the client)." },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A code of {@link API_ERROR_CODES}. */
export type ApiErrorCode = keyof typeof API_ERROR_CODES;
