import { jsonEqual } from "../compat/json.js";
import type { CompatOptions } from "../compat/types.js";
import type { ContractDef, GraphDef, JsonSchema, JsonValue, MapNodeDef, NodeDef, ValuePath } from "../def/graph-def.js";
import { compareEdges, predecessors } from "./edges.js";
import { type DraftChange, pathIn, type ScopeDiff } from "./model.js";
import { budgetChange, restartChange, retryChange, show } from "./policies.js";
import type { ChangeInput, Recorder } from "./record.js";
import { type Containment, contains } from "./schemas.js";
import type { CallersImpact, FlowImpact } from "./types.js";

/** How one graph is compared: where it sits, and whether its contract is compared here. */
interface ScopeSetup {
  readonly prefix: string;
  readonly afterPath: ValuePath;
  /** The top graph: its contract is what callers see. */
  readonly top: boolean;
  /** The subgraph's contract is its block's contract, already compared as the block's. */
  readonly skipContract: boolean;
  /** With `skipContract`: the block's input change, which is this graph's input change. */
  readonly inputChange?: DraftChange | undefined;
}

interface Ctx {
  readonly recorder: Recorder;
  readonly compat: CompatOptions;
}

/**
 * Compares two GraphDefs and everything inside them: records every change (classified for callers
 * and, where it can be decided here, for the flow), and collects the facts the in-flight rules
 * need. Subgraphs and map items are compared recursively with prefixed paths.
 */
export function compareGraphs(before: GraphDef, after: GraphDef, recorder: Recorder, compat: CompatOptions): ScopeDiff {
  return compareScope(before, after, { prefix: "", afterPath: [], top: true, skipContract: false }, { recorder, compat });
}

function compareScope(before: GraphDef, after: GraphDef, setup: ScopeSetup, ctx: Ctx): ScopeDiff {
  const scope: ScopeDiff = {
    prefix: setup.prefix,
    before,
    after,
    same: jsonEqual(before, after),
    afterPath: setup.afterPath,
    edges: [],
    bounds: [],
    limits: [],
    scopeFacts: [],
    inputChange: setup.inputChange,
    byPath: new Map(),
    children: new Map(),
    items: new Map(),
  };
  const path = setup.prefix.slice(0, -1);
  const name = setup.top ? `graph "${after.id}"` : `the graph of block "${path}"`;
  const add = (input: ChangeInput) => ctx.recorder.add(scope, input);

  if (before.id !== after.id) {
    add({
      code: "graph_id_changed",
      path,
      callers: setup.top ? "breaking" : "none",
      message: `The id of ${setup.top ? "the graph" : name} changed from "${before.id}" to "${after.id}".`,
      ...(setup.top ? { reasons: ["callers that find the graph by its id must use the new one"] } : {}),
      before: before.id,
      after: after.id,
    });
  }
  if (before.description !== after.description) {
    add({ code: "description_changed", path, message: `The description of ${name} changed.`, before: before.description, after: after.description });
  }
  if (!setup.skipContract) compareContract(scope, ctx, { graph: true, top: setup.top, path, name, id: undefined }, before.contract, after.contract);

  compareEntry(scope, ctx, before, after, path, name);
  if (!jsonEqual(before.output, after.output)) {
    add({
      code: "graph_output_binding_changed",
      path,
      message: `How the output of ${name} is assembled changed${after.output === undefined ? " (it is no longer bound)" : before.output === undefined ? " (it is now bound)" : ""}.`,
      probe: { kind: "reader", scope: scope.afterPath, reader: undefined },
      before: json(before.output),
      after: json(after.output),
    });
  }
  const strategy = (def: GraphDef) => def.supervision?.strategy ?? "one_for_one";
  if (!jsonEqual(before.supervision, after.supervision)) {
    const change = add({
      code: "supervision_changed",
      path,
      message:
        strategy(before) === strategy(after)
          ? `The supervision of ${name} was written differently; the strategy is still ${strategy(after)}.`
          : `The supervision strategy of ${name} changed from ${strategy(before)} to ${strategy(after)}.`,
      before: json(before.supervision),
      after: json(after.supervision),
    });
    if (!jsonEqual({ ...before.supervision, strategy: strategy(before) }, { ...after.supervision, strategy: strategy(after) })) {
      scope.scopeFacts.push({ change, reason: `the supervision of ${name} changed (${strategy(before)} → ${strategy(after)}); a restart decided under the old strategy may be under way` });
    }
  }
  otherFields(scope, ctx, before, after, KNOWN_GRAPH_FIELDS, path, name);

  const beforeNodes = firstById(before.nodes);
  const afterNodes = firstById(after.nodes);
  for (const [id, node] of beforeNodes) {
    const now = afterNodes.get(id);
    if (now === undefined) {
      add({ code: "block_removed", path: pathIn(scope, id), message: `Block "${pathIn(scope, id)}" (${node.kind}) was removed.` });
    } else {
      compareNode(scope, ctx, node, now, { index: after.nodes.indexOf(now), item: undefined });
    }
  }
  for (const [id, node] of afterNodes) {
    if (beforeNodes.has(id)) continue;
    const suspends = suspensionPoints(node, pathIn(scope, id));
    add({
      code: "block_added",
      path: pathIn(scope, id),
      callers: suspends.length ? "breaking" : "none",
      message: `Block "${pathIn(scope, id)}" (${node.kind}) was added.`,
      ...(suspends.length ? { reasons: [`runs may now suspend at ${suspends.map((p) => `"${p}"`).join(", ")} and wait for resume data callers never sent before`] } : {}),
      ...(node.input !== undefined ? { probe: { kind: "reader", scope: scope.afterPath, reader: id } as const } : {}),
    });
  }
  compareEdges(scope, ctx.recorder, { before, after, beforeNodes, afterNodes });
  return scope;
}

interface Owner {
  /** A graph's own contract, or a block's. */
  readonly graph: boolean;
  /** The top graph: its contract is what callers see. */
  readonly top: boolean;
  readonly path: string;
  /** `graph "triage"`, `block "review/approve"`. */
  readonly name: string;
  /** The block's id in its graph (undefined for a graph, and for a map's item block). */
  readonly id: string | undefined;
  /** For a map's item block: the map's id (its limits are the map's). */
  readonly mapId?: string;
}

function compareContract(scope: ScopeDiff, ctx: Ctx, owner: Owner, before: ContractDef, after: ContractDef): void {
  const add = (input: ChangeInput) => ctx.recorder.add(scope, input);
  const { graph, top, path, name, id } = owner;
  const callersFacing = graph && top;
  const forCallers = (c: Containment): CallersImpact => (!callersFacing ? "none" : c.verdict === "yes" ? "compatible" : "breaking");
  const reasons = (c: Containment) => (c.verdict === "yes" ? [] : [c.reason]);
  const probeable = owner.mapId === undefined;
  // Whose wiring a block's contract change may break: decided by the new graph's checker issues.
  const flowFor = (c: Containment, probe: DraftChange["probe"]): { flow?: FlowImpact; probe?: NonNullable<DraftChange["probe"]> } =>
    !probeable ? {} : c.verdict === "yes" ? { flow: "compatible" } : probe ? { probe } : { flow: "compatible" };

  if (!jsonEqual(before.input, after.input)) {
    const c = contains(before.input, after.input, "old ⊆ new", ctx.compat);
    const change = add({
      code: graph ? "graph_input_changed" : "block_input_changed",
      path,
      callers: forCallers(c),
      message: `The input schema of ${name} changed: ${phrase(c, "it still accepts every old input", "it no longer accepts every old input", "it may not accept every old input (not proven)")}.`,
      reasons: reasons(c),
      ...(graph
        ? probeable
          ? { probe: { kind: "consumers", scope: scope.afterPath, source: undefined } as const }
          : {}
        : flowFor(c, id === undefined ? undefined : { kind: "reader", scope: scope.afterPath, reader: id })),
    });
    if (graph) scope.inputChange = change;
  }
  if (!jsonEqual(before.output, after.output)) {
    const c = contains(after.output, before.output, "new ⊆ old", ctx.compat);
    add({
      code: graph ? "graph_output_changed" : "block_output_changed",
      path,
      callers: forCallers(c),
      message: `The output schema of ${name} changed: ${phrase(c, "every new output satisfies the old schema", "some new outputs do not satisfy the old schema", "new outputs may not satisfy the old schema (not proven)")}.`,
      reasons: reasons(c),
      ...(graph
        ? probeable
          ? { probe: { kind: "reader", scope: scope.afterPath, reader: undefined } as const }
          : {}
        : flowFor(c, id === undefined ? undefined : { kind: "consumers", scope: scope.afterPath, source: id })),
    });
  }
  if (!jsonEqual(before.error, after.error)) {
    const c = contains(after.error, before.error, "new ⊆ old", ctx.compat);
    add({
      code: graph ? "graph_error_changed" : "block_error_changed",
      path,
      callers: forCallers(c),
      message: `The typed-error schema of ${name} changed: ${phrase(c, "every new typed error satisfies the old schema", "some new typed errors do not satisfy the old schema", "new typed errors may not satisfy the old schema (not proven)")}.`,
      reasons: reasons(c),
      ...(graph ? {} : flowFor(c, id === undefined ? undefined : { kind: "error-edges", scope: scope.afterPath, block: id })),
    });
  }
  if (!jsonEqual(before.resume, after.resume)) compareResume(add, owner, before.resume, after.resume, ctx.compat);
  if (!jsonEqual(before.budget, after.budget)) {
    const limit = budgetChange(before.budget, after.budget);
    const change = add({
      code: graph ? "graph_budget_changed" : "block_budget_changed",
      path,
      callers: callersFacing ? (limit.direction === "tighter" ? "breaking" : "compatible") : "none",
      message: `The budget of ${name} changed: ${limit.details.join(", ")}${limit.direction === "neutral" ? "" : ` (${limit.direction})`}.`,
      ...(callersFacing && limit.direction === "tighter" ? { reasons: ["calls that fitted the old budget may exceed the new one"] } : {}),
      before: json(before.budget),
      after: json(after.budget),
    });
    if (limit.direction === "tighter") {
      const reason = `the budget of ${name} is tighter (${limit.details.join(", ")}); it may already have used more`;
      if (graph) scope.scopeFacts.push({ change, reason });
      else scope.limits.push({ block: owner.mapId ?? (id as string), change, reason, alsoAcrossActivations: owner.mapId === undefined });
    }
  }
  otherFields(scope, ctx, before, after, KNOWN_CONTRACT_FIELDS, path, name, "contract.");
}

/**
 * Resume schemas face whoever resumes runs (the graph's callers): a new one is a new place where
 * runs wait for them, a narrower one rejects what they send. One that disappears is harmless for
 * callers: the block no longer suspends, so nobody resumes it.
 */
function compareResume(add: (input: ChangeInput) => DraftChange, owner: Owner, before: JsonSchema | undefined, after: JsonSchema | undefined, compat: CompatOptions): void {
  const code = owner.graph ? "graph_resume_changed" : "block_resume_changed";
  if (before === undefined) {
    add({
      code,
      path: owner.path,
      callers: "breaking",
      message: `${cap(owner.name)} now declares a resume schema: runs may suspend there and wait for data.`,
      reasons: ["callers must now answer a suspension they never saw before"],
    });
    return;
  }
  if (after === undefined) {
    add({ code, path: owner.path, callers: "compatible", message: `${cap(owner.name)} no longer declares a resume schema (it is never resumed).` });
    return;
  }
  const c = contains(before, after, "old ⊆ new", compat);
  add({
    code,
    path: owner.path,
    callers: c.verdict === "yes" ? "compatible" : "breaking",
    message: `The resume schema of ${owner.name} changed: ${phrase(c, "it still accepts every old resume value", "it no longer accepts every old resume value", "it may not accept every old resume value (not proven)")}.`,
    reasons: c.verdict === "yes" ? [] : [c.reason],
  });
}

interface NodeSite {
  /** The node's index in the new graph's `nodes` (for the map, when comparing its item). */
  readonly index: number;
  /** When comparing a map's item block: the map. */
  readonly item: MapNodeDef | undefined;
}

function compareNode(scope: ScopeDiff, ctx: Ctx, before: NodeDef, after: NodeDef, site: NodeSite): void {
  const add = (input: ChangeInput) => ctx.recorder.add(scope, input);
  const mapId = site.item?.id;
  const path = mapId === undefined ? pathIn(scope, before.id) : `${pathIn(scope, mapId)}/*`;
  const name = `block "${path}"`;
  const id = mapId === undefined ? before.id : undefined;
  const limitOwner = mapId ?? before.id;
  const sameKind = before.kind === after.kind;

  if (!sameKind) add({ code: "block_kind_changed", path, message: `Block "${path}" changed kind from ${before.kind} to ${after.kind}.`, before: before.kind, after: after.kind });
  if (before.description !== after.description) add({ code: "description_changed", path, message: `The description of ${name} changed.`, before: before.description, after: after.description });
  compareContract(scope, ctx, { graph: false, top: false, path, name, id, ...(mapId !== undefined ? { mapId } : {}) }, before.contract, after.contract);

  if (!jsonEqual(before.input, after.input)) {
    const code = before.input === undefined ? "binding_added" : after.input === undefined ? "binding_removed" : "binding_changed";
    add({
      code,
      path,
      message: `${code === "binding_added" ? "Block" : "The input bindings of block"} "${path}" ${code === "binding_added" ? "now has input bindings" : code === "binding_removed" ? "were removed (its input is now {})" : "changed"}.`,
      ...(id !== undefined ? { probe: { kind: "reader", scope: scope.afterPath, reader: id } as const } : {}),
      before: json(before.input),
      after: json(after.input),
    });
  }
  const join = (node: NodeDef) => node.join ?? "all";
  if (before.join !== after.join) {
    const change = add({
      code: "join_changed",
      path,
      message:
        join(before) === join(after)
          ? `The join of ${name} was written differently; it is still ${join(after)}.`
          : `${cap(name)} now starts ${join(after) === "any" ? "at the first incoming edge that fires" : "when every live incoming edge has fired"} (join ${join(after)}, was ${join(before)}).`,
      before: before.join,
      after: after.join,
    });
    if (join(before) !== join(after) && mapId === undefined) {
      const sources = [...new Set([...predecessors(scope.before, before.id), ...predecessors(scope.after, after.id)])];
      scope.edges.push({ sources, targets: [before.id], change });
    }
  }
  if (!jsonEqual(before.retry, after.retry)) {
    const limit = retryChange(before.retry, before.contract.budget, after.retry, after.contract.budget);
    const change = add({
      code: "retry_changed",
      path,
      message: `The retry policy of ${name} changed${limit.details.length ? `: ${limit.details.join(", ")}` : ""}${limit.direction === "neutral" ? "" : ` (${limit.direction})`}.`,
      before: json(before.retry),
      after: json(after.retry),
    });
    if (limit.direction === "tighter") scope.limits.push({ block: limitOwner, change, reason: `${name} gets fewer attempts (${limit.details.join(", ")}); it may already be on a later one`, alsoAcrossActivations: false });
  }
  if (!jsonEqual(before.restart, after.restart)) {
    const limit = restartChange(before.restart, after.restart);
    const change = add({
      code: "restart_changed",
      path,
      message: `The restart policy of ${name} changed${limit.details.length ? `: ${limit.details.join(", ")}` : ""}${limit.direction === "neutral" ? "" : ` (${limit.direction})`}.`,
      before: json(before.restart),
      after: json(after.restart),
    });
    if (limit.direction === "tighter") {
      scope.limits.push({ block: limitOwner, change, reason: `${name} is restarted less (${limit.details.join(", ")}); it may already have been restarted more, or be waiting for a restart`, alsoAcrossActivations: mapId === undefined });
    }
  }
  if (sameKind) compareKindFields(scope, ctx, before, after, site, path);
  otherFields(scope, ctx, before, after, KNOWN_NODE_FIELDS, path, name);
}

function compareKindFields(scope: ScopeDiff, ctx: Ctx, before: NodeDef, after: NodeDef, site: NodeSite, path: string): void {
  const add = (input: ChangeInput) => ctx.recorder.add(scope, input);
  if (before.kind === "code" && after.kind === "code") {
    if (before.block !== after.block) {
      add({ code: "block_implementation_changed", path, message: `Block "${path}" now runs implementation "${after.block}" instead of "${before.block}".`, before: before.block, after: after.block });
    }
    return;
  }
  if (before.kind === "graph" && after.kind === "graph") {
    const skipContract = jsonEqual(before.contract, before.graph.contract) && jsonEqual(after.contract, after.graph.contract);
    const afterPath = site.item === undefined ? [...scope.afterPath, "nodes", site.index, "graph"] : [...scope.afterPath, "nodes", site.index, "item", "graph"];
    const inputChange = scope.byPath.get(path)?.find((c) => c.code === "block_input_changed");
    const child = compareScope(before.graph, after.graph, { prefix: `${path}/`, afterPath, top: false, skipContract, inputChange }, ctx);
    if (site.item === undefined) scope.children.set(before.id, child);
    else scope.items.set(site.item.id, child);
    return;
  }
  if (before.kind === "map" && after.kind === "map") {
    const concurrency = (node: MapNodeDef) => node.concurrency ?? 8;
    if (before.concurrency !== after.concurrency) {
      const lower = concurrency(after) < concurrency(before);
      const change = add({
        code: "map_concurrency_changed",
        path,
        message: `Map "${path}" now runs at most ${concurrency(after)} items at once (was ${concurrency(before)}).`,
        before: before.concurrency,
        after: after.concurrency,
      });
      if (lower) scope.limits.push({ block: before.id, change, reason: `map "${path}" may already run more than ${concurrency(after)} items at once`, alsoAcrossActivations: false });
    }
    const mode = (node: MapNodeDef) => node.onItemError ?? "fail";
    if (before.onItemError !== after.onItemError) {
      const change = add({
        code: "map_item_error_changed",
        path,
        message: `Map "${path}" now ${mode(after) === "collect" ? "collects failed items as results" : "fails at the first failed item"} (was ${mode(before)}).`,
        before: before.onItemError,
        after: after.onItemError,
      });
      if (mode(before) === "collect" && mode(after) === "fail") {
        scope.limits.push({ block: before.id, change, reason: `map "${path}" may already have collected failed items, which the new graph treats as a failure of the map`, alsoAcrossActivations: false });
      }
    }
    if (before.item.id !== after.item.id) {
      add({ code: "map_item_replaced", path: `${path}/*`, message: `Map "${path}" now runs block "${after.item.id}" for each item instead of "${before.item.id}".`, before: before.item.id, after: after.item.id });
    }
    compareNode(scope, ctx, before.item, after.item, { index: site.index, item: before });
  }
}

function compareEntry(scope: ScopeDiff, ctx: Ctx, before: GraphDef, after: GraphDef, path: string, name: string): void {
  if (jsonEqual(before.entry, after.entry)) return;
  const was = new Set(before.entry);
  const now = new Set(after.entry);
  const targets = [...new Set([...before.entry.filter((id) => !now.has(id)), ...after.entry.filter((id) => !was.has(id))])];
  const change = ctx.recorder.add(scope, {
    code: "entry_changed",
    path,
    message: targets.length ? `The entry of ${name} changed from [${before.entry.join(", ")}] to [${after.entry.join(", ")}].` : `The entry blocks of ${name} were reordered; the same blocks start.`,
    before: json(before.entry),
    after: json(after.entry),
  });
  if (targets.length) scope.edges.push({ sources: [undefined], targets, change });
}

/** Fields no rule knows: compared as JSON, reported so that nothing is silently dropped. */
function otherFields(scope: ScopeDiff, ctx: Ctx, before: object, after: object, known: ReadonlySet<string>, path: string, name: string, prefix = ""): void {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !known.has(k)).sort();
  for (const key of keys) {
    if (jsonEqual(b[key], a[key])) continue;
    ctx.recorder.add(scope, {
      code: "option_changed",
      path,
      message: `The field "${prefix}${key}" of ${name} changed from ${show(b[key])} to ${show(a[key])}; no specific rule covers it, so it is reported as it is.`,
      before: json(b[key]),
      after: json(a[key]),
    });
  }
}

const KNOWN_GRAPH_FIELDS = new Set(["id", "description", "contract", "entry", "nodes", "edges", "output", "supervision"]);
const KNOWN_CONTRACT_FIELDS = new Set(["input", "output", "error", "resume", "budget"]);
const KNOWN_NODE_FIELDS = new Set(["id", "kind", "description", "contract", "input", "join", "retry", "restart", "block", "graph", "item", "concurrency", "onItemError"]);

/** Block id → the first node with that id (the one the checker and the runtime use). */
export function firstById(nodes: readonly NodeDef[]): Map<string, NodeDef> {
  const out = new Map<string, NodeDef>();
  for (const node of nodes) if (!out.has(node.id)) out.set(node.id, node);
  return out;
}

/** Paths of the blocks in and under `node` that declare a resume schema (places where runs wait). */
function suspensionPoints(node: NodeDef, path: string): string[] {
  const out = node.contract.resume === undefined ? [] : [path];
  if (node.kind === "graph") for (const inner of node.graph.nodes) out.push(...suspensionPoints(inner, `${path}/${inner.id}`));
  if (node.kind === "map") out.push(...suspensionPoints(node.item, `${path}/*`));
  return out;
}

/** A GraphDef value as JSON (the def types are JSON by construction). */
function json(value: unknown): JsonValue | undefined {
  return value as JsonValue | undefined;
}

function phrase(c: Containment, yes: string, no: string, unknown: string): string {
  return c.verdict === "yes" ? yes : c.verdict === "no" ? no : unknown;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
