import { type CompactionRequest, MemoryError } from "@blockwork/core";
import type { BlockContext, CompactionPolicy, JsonValue } from "@blockwork/spec";
import { defineContract, zodIssueTexts } from "@blockwork/spec";
import { z } from "zod";

/** What a compaction block is given: the items of core to fold, the facts the summary must keep, its bound. */
export const CompactionInput = z.object({
  items: z.array(z.object({ id: z.string(), kind: z.string(), text: z.string(), pinned: z.boolean() })),
  /** Pinned facts: each text must appear, word for word, in the summary. */
  mustKeep: z.array(z.object({ id: z.string(), text: z.string() })),
  maxTokens: z.number().int().positive(),
});

/** What a compaction block answers. */
export const CompactionOutput = z.object({ summary: z.string() });

/** The contract every compaction block implements (a code block, or an agent block with its own small context). */
export const compactionContract = defineContract({ id: "compact_memory", input: CompactionInput, output: CompactionOutput });

/** A compaction block: a code block of {@link compactionContract} (or an agent block of it). */
export interface Compactor {
  readonly id: string;
  readonly run: (input: z.output<typeof CompactionInput>, ctx: BlockContext<never, never>) => unknown;
}

/**
 * The contract a summary must satisfy beyond its schema: not empty, within the bound, and keeping
 * every pinned fact word for word. Returns the issues (none: the summary passes).
 */
export function summaryIssues(summary: string, input: z.output<typeof CompactionInput>, tokensOf: (text: string) => number): string[] {
  const issues: string[] = [];
  if (summary.trim() === "" && input.items.length > 0) issues.push("the summary is empty");
  const tokens = tokensOf(summary);
  if (tokens > input.maxTokens) issues.push(`the summary has ${tokens} tokens, over its bound of ${input.maxTokens}`);
  const lost = input.mustKeep.filter((fact) => !summary.includes(fact.text));
  if (lost.length) issues.push(`the summary drops ${lost.length} pinned fact${lost.length === 1 ? "" : "s"}: ${lost.slice(0, 3).map((f) => JSON.stringify(f.text)).join(", ")}`);
  return issues;
}

/**
 * Runs a compaction under its restart policy: each attempt is a durable step (a resumed run gets
 * the journaled summary instead of compacting again); a summary that breaks the contract is an
 * attempt failed. When every attempt failed, it throws `compaction_failed` and the batch (with the
 * write that overflowed) is not written: memory is left unchanged and the block fails, so its
 * supervisor restarts it or escalates. On success, core's items move to recall (still searchable)
 * and one pinned summary item, carrying the pinned facts, takes their place.
 */
export async function compact(o: {
  readonly request: CompactionRequest;
  readonly compactor: Compactor;
  readonly policy: CompactionPolicy;
  readonly ctx: BlockContext<unknown, unknown>;
  readonly scope: string;
  readonly count: number;
  readonly tokensOf: (text: string) => number;
}): Promise<void> {
  const { request, ctx } = o;
  const mustKeep = request.core.flatMap((item) => (item.carries ? [...item.carries] : item.pinned ? [{ id: item.id, text: item.text }] : []));
  const input = { items: request.core.map((i) => ({ id: i.id, kind: i.kind, text: i.text, pinned: i.pinned })), mustKeep, maxTokens: o.policy.maxTokens };
  const attempts = o.policy.attempts ?? 3;
  const failures: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await durable(ctx, `memory.compact.${o.count}.${attempt}`, async (): Promise<JsonValue> => {
      try {
        const output = await o.compactor.run(input as never, { ...ctx, path: [...ctx.path, o.compactor.id], attempt } as never);
        const parsed = CompactionOutput.safeParse(output);
        if (!parsed.success) return { issues: zodIssueTexts(parsed.error, { root: "(output)" }) };
        const issues = summaryIssues(parsed.data.summary, input, o.tokensOf);
        return issues.length ? { issues } : { summary: parsed.data.summary };
      } catch (error) {
        return { issues: [`the compaction block threw: ${error instanceof Error ? error.message : String(error)}`] };
      }
    });
    const result = outcome as { summary?: string; issues?: string[] };
    ctx.report({ type: "step", step: "memory.compaction", detail: { scope: o.scope, attempt, ok: result.summary !== undefined, items: input.items.length, ...(result.issues ? { issues: result.issues } : {}) }, replayed: false });
    if (result.summary !== undefined) {
      for (const item of request.core) request.draft.move(item.id, "recall", "compacted", `folded into a summary (compaction ${o.count})`);
      request.draft.remember({ kind: "summary", text: result.summary, pinned: true, carries: mustKeep });
      return;
    }
    failures.push(`attempt ${attempt}: ${(result.issues ?? []).join("; ")}`);
  }
  throw new MemoryError(
    "compaction_failed",
    `memory "${o.scope}": core overflows (${request.overflow.tokens} tokens, limit ${request.overflow.maxTokens ?? "none"}) and the compaction block "${o.compactor.id}" failed its contract on all ${attempts} attempts (${failures.join(" | ")}); memory is left unchanged`,
    { scope: o.scope, attempts, failures, overflow: { ...request.overflow } },
  );
}

function durable(ctx: BlockContext<unknown, unknown>, key: string, run: () => Promise<JsonValue>): Promise<JsonValue> {
  return ctx.step ? ctx.step(key, run) : run();
}
