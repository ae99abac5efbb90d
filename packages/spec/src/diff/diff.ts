import { check } from "../check/check.js";
import { formatLocation } from "../check/format.js";
import type { Issue } from "../check/issues.js";
import { canonicalJson } from "../def/version.js";
import type { GraphDef } from "../def/graph-def.js";
import { compareGraphs } from "./compare.js";
import type { DraftChange } from "./model.js";
import { positionsOf, type Reason } from "./positions.js";
import { newIssues, resolveProbes } from "./probes.js";
import { Recorder } from "./record.js";
import { CHANGE_CODES, type DiffOptions, type DiffChange, type GraphDiff, type PositionVerdict, type DiffVerdict } from "./types.js";

/**
 * Compares two versions of a graph and classifies every change, like a schema registry's
 * compatibility check, on three axes:
 *
 * - **callers**: the graph's own contract. The new input must accept every old input, the new
 *   output (and typed errors) must satisfy the old schema, resume schemas must accept every old
 *   resume value. "Could not be proven" counts as breaking.
 * - **flow**: the graph's own wiring. A block's output that was widened, or its input narrowed, is
 *   breaking only where the new graph's checker finds a consumer that no longer fits.
 * - **in flight**: for every block of the old graph (subgraph blocks as `outer/inner`; a map's
 *   items count as the map), whether a run there can be moved to the new graph at that block
 *   boundary. The verdict is sound, not complete: `safe` is proven, `unsafe` comes with reasons.
 *
 * Pure: no I/O. The rules are documented in docs/versioning.md.
 *
 * @example
 * const diff = diffGraphs(v1.def, v2.def);
 * if (diff.breaking) console.log(formatDiff(diff));
 * diff.positions.filter((p) => !p.safe); // where runs in flight cannot be upgraded, and why
 */
export function diffGraphs(before: GraphDef, after: GraphDef, options: DiffOptions = {}): GraphDiff {
  const compat = options.compat ?? {};
  const recorder = new Recorder();
  const top = compareGraphs(before, after, recorder, compat);
  const changes = recorder.all;
  const global: Reason[] = [];
  const afterIssues = changes.length ? checked(after, "new", global) : [];
  const beforeIssues = changes.length ? checked(before, "old", global) : [];
  const fresh = newIssues(beforeIssues, afterIssues);
  resolveProbes(changes, after, fresh);

  if (changes.length) {
    const invalid = (issues: readonly Issue[], which: string, why: string) => {
      const errors = issues.filter((i) => i.severity === "error");
      const first = errors[0];
      if (first === undefined) return;
      global.push({ text: `the ${which} graph does not pass the checker (${errors.length} error${errors.length === 1 ? "" : "s"}; first: ${first.code} at ${formatLocation(first)}), so ${why}`, cites: [] });
    };
    invalid(afterIssues, "new", "no run can be moved to it");
    invalid(beforeIssues, "old", "what its runs may have done cannot be established");
  }
  const drafts = positionsOf(top, global, compat);
  const order = new Map<string, number>();
  drafts.forEach((d, i) => {
    order.set(d.block, i);
    for (const reason of d.reasons) for (const change of reason.cites) change.unsafeAt.add(d.block);
  });
  const positions: PositionVerdict[] = drafts.map((d) => {
    const reasons = [...new Set(d.reasons.map((r) => r.text))];
    return { block: d.block, safe: reasons.length === 0, reasons };
  });
  const final = changes.map((c) => finish(c, order)).sort(byPathAndCode);

  const callers = worst(final.map((c) => c.callers));
  const flow = worst([...final.map((c) => c.flow), ...(fresh.some((i) => i.severity === "error") ? (["breaking"] as const) : [])]);
  const inFlight: DiffVerdict = final.length === 0 ? "unchanged" : positions.some((p) => !p.safe) ? "breaking" : "compatible";
  return {
    changes: final,
    callers,
    flow,
    inFlight,
    positions,
    issues: fresh,
    breaking: callers === "breaking" || flow === "breaking" || inFlight === "breaking",
  };
}

/** The checker's issues; a checker that fails on a graph makes every position unsafe, with why. */
function checked(def: GraphDef, which: string, global: Reason[]): Issue[] {
  try {
    return check(def);
  } catch (error) {
    global.push({ text: `the checker could not analyse the ${which} graph (${error instanceof Error ? error.message : String(error)}), so nothing can be proven about runs in flight`, cites: [] });
    return [];
  }
}

function finish(change: DraftChange, order: ReadonlyMap<string, number>): DiffChange {
  const unsafeAt = [...change.unsafeAt].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const reasons = [...new Set(change.reasons)];
  return {
    code: change.code,
    path: change.path,
    callers: change.callers,
    flow: change.flow,
    inFlight: unsafeAt.length ? "breaking" : "compatible",
    unsafeAt,
    message: change.message,
    ...(reasons.length ? { reasons } : {}),
    ...(change.before !== undefined ? { before: change.before } : {}),
    ...(change.after !== undefined ? { after: change.after } : {}),
  };
}

const CODE_ORDER = new Map(Object.keys(CHANGE_CODES).map((code, i) => [code, i]));

function byPathAndCode(a: DiffChange, b: DiffChange): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  const byCode = (CODE_ORDER.get(a.code) ?? 0) - (CODE_ORDER.get(b.code) ?? 0);
  if (byCode !== 0) return byCode;
  if (a.message !== b.message) return a.message < b.message ? -1 : 1;
  const ka = canonicalJson([a.before, a.after]);
  const kb = canonicalJson([b.before, b.after]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The worst impact: `breaking` over `compatible`; `unchanged` when nothing is on this axis. */
function worst(impacts: readonly ("none" | "compatible" | "breaking")[]): DiffVerdict {
  if (impacts.includes("breaking")) return "breaking";
  return impacts.includes("compatible") ? "compatible" : "unchanged";
}
