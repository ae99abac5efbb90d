import { formatZodIssues } from "@blockwork/spec";
import { type MemoryBackend, MemoryError, type MemoryItem, MemorySpace } from "@blockwork/core";
import type { BlockContext, JsonValue, MemoryScope, MemoryTier, MemoryUseDef } from "@blockwork/spec";
import { countTokens } from "gpt-tokenizer";
import { z } from "zod";
import type { ChatMessage } from "../model/model.js";
import { type AgentTool, defineTool } from "../tool/tool.js";
import { compact, type Compactor } from "./compaction.js";

/** A scope an agent block uses, and how: `readwrite` (default) or `read`. */
export interface MemoryUse {
  readonly scope: MemoryScope;
  readonly access?: "read" | "readwrite";
}

/** The `memory` option of an agent block. */
export interface AgentMemoryOptions {
  /** The scopes the block declares: it reads and writes only these. */
  readonly scopes: readonly (MemoryScope | MemoryUse)[];
  /** The compaction block, for scopes whose policy compacts (`onCoreOverflow: "compact"`). */
  readonly compactor?: Compactor;
  /** An embedding model: with it, `search_archive` also searches archival items by meaning (cosine similarity). */
  readonly embed?: (texts: readonly string[]) => Promise<readonly (readonly number[])[]>;
  /** Writes each turn to recall (searchable history): what to record, or undefined for nothing. */
  readonly recordTurn?: (input: unknown, output: unknown) => { readonly scope: string; readonly kind: string; readonly text: string; readonly data?: JsonValue } | undefined;
  /** Items a `recall` or `search_archive` call returns at most (default 5). */
  readonly fetchLimit?: number;
}

/** The share of each part of an agent's context, in tokens (reported as `memory.context` step events). */
export interface ContextShares {
  readonly instructions: number;
  readonly contract: number;
  readonly input: number;
  readonly core: number;
  readonly fetched: number;
  readonly other: number;
  readonly total: number;
}

/** Tokens of a text, as agent blocks count them. */
export function textTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text.replace(/<\|/g, "< |"));
}

/** The plain-data memory use of a block, for the GraphDef and the checker. */
export function memoryUseDef(options: AgentMemoryOptions, contextTokens: number): MemoryUseDef {
  return {
    contextTokens,
    scopes: options.scopes.map((entry) => {
      const use = "def" in entry ? { scope: entry } : entry;
      return { scope: use.scope.def, read: true, write: (use.access ?? "readwrite") === "readwrite" };
    }),
  };
}

interface OpenScope {
  readonly name: string;
  readonly scope: MemoryScope;
  readonly write: boolean;
  readonly space: MemorySpace;
}

/** The names of the tools an agent block with memory is given. */
export const MEMORY_TOOLS = ["remember", "recall", "search_archive", "forget"] as const;

/** An agent block's memory during one attempt: its scopes opened, its tools, its context section. */
export class AgentMemory {
  private compactions = 0;

  private constructor(
    private readonly options: AgentMemoryOptions,
    private readonly ctx: BlockContext<unknown, unknown>,
    readonly scopes: readonly OpenScope[],
  ) {}

  /** Opens every declared scope (as of the start of this attempt, see `MemorySpace.open`). */
  static async open(options: AgentMemoryOptions, ctx: BlockContext<unknown, unknown>, input: unknown): Promise<AgentMemory> {
    const backend = ctx.memory as MemoryBackend | undefined;
    if (backend === undefined) throw new MemoryError("memory_unavailable", `block ${ctx.path.join("/")}: the run's store has no memory (use MemoryStore, SqliteStore or PostgresStore)`);
    const path = ctx.path.join("/");
    const scopes: OpenScope[] = [];
    for (const entry of options.scopes) {
      const use = "def" in entry ? { scope: entry } : entry;
      const def = use.scope.def;
      let key: string;
      if (def.level === "block") key = `block:${ctx.runId}:${path}:${def.name}`;
      else if (def.level === "graph") key = `graph:${ctx.runId}:${def.name}`;
      else {
        const thread = (input as Record<string, unknown> | null)?.[def.threadFrom as string];
        if (typeof thread !== "string" && typeof thread !== "number") {
          throw new MemoryError("memory_invalid", `block ${path}: thread memory "${def.name}" is keyed by the input field "${def.threadFrom}", which is ${thread === undefined ? "missing" : `not a string or number (${typeof thread})`}`, { scope: def.name });
        }
        key = `thread:${def.name}:${String(thread)}`;
      }
      const space = await MemorySpace.open({
        backend,
        scope: key,
        policy: def.policy,
        attemptKey: `${ctx.idempotencyKey}.${ctx.attempt}`,
        provenance: { runId: ctx.runId, path, attempt: ctx.attempt },
        tokensOf: textTokens,
      });
      scopes.push({ name: def.name, scope: use.scope, write: (use.access ?? "readwrite") === "readwrite", space });
    }
    return new AgentMemory(options, ctx, scopes);
  }

  /** Ends the attempt's use of its scopes: the next attempt (the next turn) opens them from what they are now, without loading them again. */
  close(): void {
    for (const s of this.scopes) s.space.close();
  }

  /** The core memory of every scope, as the context shows it (empty when there is none). */
  coreSection(): string {
    const parts: string[] = [];
    for (const s of this.scopes) {
      const core = s.space.tier("core");
      if (core.length === 0) continue;
      parts.push(`Core memory "${s.name}" (${core.length} items):`, ...core.map((i) => `- [${i.id}${i.pinned ? ", pinned" : ""}] ${i.text}`));
    }
    return parts.length ? `\n\nWhat you remember (use the memory tools to recall or search more):\n${parts.join("\n")}` : "";
  }

  /** Advances every scope's clock by this turn, of `tokens` context tokens. */
  async tick(tokens: number): Promise<void> {
    for (const s of this.scopes) await this.commit(s, (d) => d.tick(tokens, Date.now()));
  }

  /** Records a turn in recall, when the block records turns. */
  async record(input: unknown, output: unknown): Promise<void> {
    const turn = this.options.recordTurn?.(input, output);
    if (!turn) return;
    const s = this.writable(turn.scope);
    this.checkKind(s, turn.kind, turn.data ?? null);
    await this.commit(s, (d) => d.remember({ kind: turn.kind, text: turn.text, data: turn.data ?? null, tier: "recall" }));
  }

  /** `remember`, `recall`, `search_archive`, `forget`, bound to this attempt's scopes. */
  tools(): AgentTool[] {
    const names = this.scopes.map((s) => s.name) as [string, ...string[]];
    const scope = names.length === 1 ? z.enum(names).optional() : z.enum(names);
    const limit = this.options.fetchLimit ?? 5;
    const shown = (items: readonly MemoryItem[]) => items.map((i) => ({ id: i.id, kind: i.kind, tier: i.tier, text: i.text, ...(i.key !== undefined ? { key: i.key } : {}) }));
    const tools: AgentTool[] = [
      defineTool({
        name: "recall",
        description: "Searches your recall memory (earlier turns, tool results, facts moved out of core) by words. Returns the best matches.",
        input: z.object({ query: z.string().min(1), scope, promote: z.boolean().optional().describe("move the best match back into core memory") }),
        run: async ({ query, scope: name, promote }) => {
          const s = this.named(name);
          const found = await s.space.search({ text: query, tiers: ["recall", "core"], limit });
          await this.access(s, found, promote === true && s.write ? found[0] : undefined);
          return shown(found);
        },
      }),
      defineTool({
        name: "search_archive",
        description: "Searches archival memory: by key, by words, and by meaning when an embedding model is configured.",
        input: z.object({ query: z.string().min(1).optional(), key: z.string().min(1).optional(), scope }).refine((v) => v.query !== undefined || v.key !== undefined, "give a query or a key"),
        run: async ({ query, key, scope: name }) => {
          const s = this.named(name);
          const tiers: MemoryTier[] = ["archival", "recall"];
          const found = key !== undefined ? await s.space.search({ key, limit }) : await s.space.search({ text: query as string, tiers, limit });
          if (query !== undefined && this.options.embed) {
            const [vector] = await this.options.embed([query]);
            const near = s.space
              .tier("archival")
              .filter((i) => i.embedding !== undefined)
              .map((i) => ({ i, score: cosine(vector as readonly number[], i.embedding as readonly number[]) }))
              .sort((a, b) => b.score - a.score)
              .slice(0, limit)
              .map((x) => x.i);
            for (const item of near) if (!found.some((f) => f.id === item.id)) found.push(item);
          }
          const hits = found.slice(0, limit);
          await this.access(s, hits, undefined);
          return shown(hits);
        },
      }),
    ];
    if (this.scopes.some((s) => s.write)) {
      tools.unshift(
        defineTool({
          name: "remember",
          description: "Saves a fact to core memory (always in your context). Give a key to replace an earlier fact with the same key; pin what must never be forgotten.",
          input: z.object({ text: z.string().min(1), kind: z.string().min(1).optional(), key: z.string().min(1).optional(), pin: z.boolean().optional(), data: z.json().optional(), scope }),
          run: async ({ text, kind, key, pin, data, scope: name }) => {
            const s = this.writable(name);
            const kinds = Object.keys(s.scope.kinds);
            const k = kind ?? (kinds.length === 1 ? (kinds[0] as string) : "");
            this.checkKind(s, k, (data ?? null) as JsonValue);
            const embedding = this.options.embed ? (await this.options.embed([text]))[0] : undefined;
            let item: MemoryItem | undefined;
            await this.commit(s, (d) => {
              item = d.remember({ kind: k, text, data: (data ?? null) as JsonValue, ...(key !== undefined ? { key } : {}), ...(pin !== undefined ? { pinned: pin } : {}), ...(embedding ? { embedding } : {}) });
            });
            const now = s.space.state.items.get((item as MemoryItem).id);
            return { id: (item as MemoryItem).id, tier: now?.tier ?? "gone" };
          },
        }),
      );
      tools.push(
        defineTool({
          name: "forget",
          description: "Removes an item from memory for good, by its id.",
          input: z.object({ id: z.string().min(1), scope }),
          run: async ({ id, scope: name }) => {
            const s = this.writable(name);
            if (!s.space.state.items.has(id)) throw new Error(`no item "${id}" in memory "${s.name}"`);
            await this.commit(s, (d) => d.forget(id));
            return { forgotten: id };
          },
        }),
      );
    }
    return tools;
  }

  /** The share of each part of a request's context, in tokens. */
  shares(messages: readonly ChatMessage[], parts: { readonly instructions: string; readonly contractText: string; readonly core: string }, total: number): ContextShares {
    const instructions = textTokens(parts.instructions);
    const core = textTokens(parts.core);
    const contract = Math.max(0, textTokens((messages[0]?.content ?? "").replace(parts.core, "")) - instructions);
    const input = textTokens(messages[1]?.content ?? "");
    const fetched = messages.filter((m) => m.role === "tool" && (m.toolName === "recall" || m.toolName === "search_archive")).reduce((t, m) => t + textTokens(m.content), 0);
    return { instructions, contract, input, core, fetched, other: Math.max(0, total - instructions - contract - input - core - fetched), total };
  }

  private named(name: string | undefined): OpenScope {
    const s = name === undefined ? (this.scopes.length === 1 ? this.scopes[0] : undefined) : this.scopes.find((x) => x.name === name);
    if (!s) throw new MemoryError("memory_undeclared", `block ${this.ctx.path.join("/")} does not declare memory "${name}" (it declares ${this.scopes.map((x) => x.name).join(", ")})`, { scope: name ?? null });
    return s;
  }

  private writable(name: string | undefined): OpenScope {
    const s = this.named(name);
    if (!s.write) throw new MemoryError("memory_undeclared", `block ${this.ctx.path.join("/")} declares memory "${s.name}" read-only; declare it with access: "readwrite" to write it`, { scope: s.name });
    return s;
  }

  private checkKind(s: OpenScope, kind: string, data: JsonValue): void {
    const schema = s.scope.kinds[kind];
    if (!schema) throw new MemoryError("memory_invalid", `memory "${s.name}" has no kind "${kind}" (kinds: ${Object.keys(s.scope.kinds).join(", ")})`, { scope: s.name, kind });
    const parsed = schema.safeParse(data ?? {});
    if (!parsed.success) throw new MemoryError("memory_invalid", `memory "${s.name}": the data of a "${kind}" item breaks its schema: ${formatZodIssues(parsed.error, { root: "(data)" })}`, { scope: s.name, kind });
  }

  private async access(s: OpenScope, items: readonly MemoryItem[], promote: MemoryItem | undefined): Promise<void> {
    if (!s.write || items.length === 0) return;
    await this.commit(s, (d) => {
      const live = items.filter((i) => d.state.items.has(i.id)).map((i) => i.id);
      d.access(live);
      if (promote && d.state.items.get(promote.id)?.tier !== "core" && d.state.items.has(promote.id)) d.move(promote.id, "core", "promoted");
    });
  }

  private async commit(s: OpenScope, build: Parameters<MemorySpace["commit"]>[0]): Promise<void> {
    const { compactor } = this.options;
    const policy = s.scope.def.policy;
    const result = await s.space.commit(
      build,
      compactor && policy.compaction
        ? (request) => compact({ request, compactor, policy: policy.compaction as NonNullable<typeof policy.compaction>, ctx: this.ctx, scope: s.space.scope, count: ++this.compactions, tokensOf: textTokens })
        : undefined,
    );
    for (const e of result.evictions) {
      this.ctx.report({ type: "step", step: "memory.evicted", detail: { scope: s.space.scope, id: e.id, kind: e.kind, from: e.from, to: e.to, reason: e.reason, detail: e.detail }, replayed: result.replayed });
    }
  }
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
