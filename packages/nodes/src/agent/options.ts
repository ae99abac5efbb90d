import type { Model } from "../model/model.js";
import type { AgentTool } from "../tool/tool.js";
import type { AgentMemoryOptions } from "../memory/agent-memory.js";

/** Limits of one agent block execution (one attempt, as the runtime counts attempts). */
export interface AgentBudget {
  /** Tokens the context may hold: instructions, contract, input, tool results, repairs. Default 8,000. */
  readonly contextTokens?: number;
  /** Tokens the model may write per call. Default 1,024. */
  readonly outputTokens?: number;
  /** Model answers tried before the block gives up (the first and the repairs). Default 3. */
  readonly attempts?: number;
  /** Tool calls allowed in all. Default 8. */
  readonly toolCalls?: number;
  /** US dollars per execution (needs `pricing`). */
  readonly costUsd?: number;
}

/** Options of `agentBlock`. */
export interface AgentOptions {
  /** What this block does, in a few sentences. This, the contract and the input are the whole context. */
  readonly instructions: string;
  /** Default: the model named by `BLOCKWORK_MODEL`, resolved on first use. */
  readonly model?: Model;
  readonly tools?: readonly AgentTool[];
  readonly budget?: AgentBudget;
  /** When the input does not fit `contextTokens`: fail (default) with `context_overflow`, or cut the longest strings. */
  readonly onOverflow?: "fail" | "truncate";
  /** When a tool throws: tell the model and let it go on (default), or fail the block with `tool_error`. */
  readonly onToolError?: "feedback" | "fail";
  /** US dollars per million tokens, to report and budget cost. */
  readonly pricing?: { readonly inputPerMillion: number; readonly outputPerMillion: number };
  readonly temperature?: number;
  /**
   * Memory: the scopes the block reads and writes (core memory joins its context; the tools
   * `remember`, `recall`, `search_archive` and `forget` are added), a compaction block, and an
   * embedding model. See docs/memory.md.
   */
  readonly memory?: AgentMemoryOptions;
}
