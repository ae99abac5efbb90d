import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../check/check.js";
import type { EdgeDef, GraphDef, JsonSchema, NodeDef } from "../def/graph-def.js";
import { GRAPH_DEF_FORMAT } from "../def/graph-def.js";
import { diffGraphs } from "./diff.js";
import { CHANGE_CODES } from "./types.js";

// Random graphs: a chain of blocks (each reads the previous one's text), extra forward edges,
// maybe a bounded loop, routes on a `kind` field, and random options. Not every generated graph
// passes the checker; the properties hold for any GraphDef.

const OUTPUTS: readonly JsonSchema[] = [
  { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
  { type: "object", properties: { text: { type: "string", minLength: 1 }, n: { type: "integer" } }, required: ["text"], additionalProperties: false },
  { type: "object", properties: { text: { type: "string" }, kind: { enum: ["x", "y"] } }, required: ["text", "kind"], additionalProperties: false },
];

const graphArb: fc.Arbitrary<GraphDef> = fc
  .record({
    size: fc.integer({ min: 1, max: 6 }),
    outputs: fc.array(fc.integer({ min: 0, max: OUTPUTS.length - 1 }), { minLength: 6, maxLength: 6 }),
    skips: fc.array(fc.tuple(fc.nat(5), fc.nat(5)), { maxLength: 3 }),
    loop: fc.option(fc.record({ from: fc.nat(5), to: fc.nat(5), max: fc.integer({ min: 1, max: 4 }) }), { nil: undefined }),
    route: fc.boolean(),
    joins: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    retries: fc.array(fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), { minLength: 6, maxLength: 6 }),
    description: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  })
  .map(({ size, outputs, skips, loop, route, joins, retries, description }) => {
    const ids = Array.from({ length: size }, (_, i) => `b${i}`);
    const nodes: NodeDef[] = ids.map((id, i) => ({
      id,
      kind: "code",
      block: id,
      contract: { input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, output: OUTPUTS[outputs[i] as number] as JsonSchema },
      input: { kind: "object", fields: { text: i === 0 ? { kind: "input", path: ["text"] } : { kind: "output", node: ids[i - 1] as string, path: ["text"] } } },
      ...(joins[i] ? { join: "any" as const } : {}),
      ...(retries[i] !== undefined ? { retry: { attempts: retries[i] as number } } : {}),
    }));
    const edges: EdgeDef[] = ids.slice(1).map((id, i) => ({ from: ids[i] as string, to: id }));
    for (const [a, b] of skips) if (a < size && b < size && a + 1 < b) edges.push({ from: ids[a] as string, to: ids[b] as string });
    if (loop && loop.to <= loop.from && loop.from < size) edges.push({ from: ids[loop.from] as string, to: ids[loop.to] as string, max: loop.max });
    if (route && size >= 3 && outputs[0] === 2) {
      edges[0] = { from: "b0", to: "b1", when: { kind: "case", field: "kind", equals: "x" } };
      edges.push({ from: "b0", to: "b2", when: { kind: "otherwise" } });
    }
    return {
      format: GRAPH_DEF_FORMAT,
      id: "random",
      ...(description !== undefined ? { description } : {}),
      contract: { input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, output: { type: "object" } },
      entry: ["b0"],
      nodes,
      edges,
      output: { kind: "output", node: ids[size - 1] as string, path: [] },
    } satisfies GraphDef;
  });

type Mutation = (def: GraphDef, pick: number) => GraphDef;
const at = <T>(items: readonly T[], pick: number): T | undefined => items[pick % Math.max(1, items.length)];
const withNode = (def: GraphDef, pick: number, change: (node: NodeDef) => NodeDef): GraphDef => {
  const target = at(def.nodes, pick);
  return { ...def, nodes: def.nodes.map((n) => (n === target ? change(n) : n)) };
};

const MUTATIONS: readonly Mutation[] = [
  (def, pick) => withNode(def, pick, (n) => ({ ...n, description: `changed ${pick}` })),
  (def, pick) => withNode(def, pick, (n) => ({ ...n, contract: { ...n.contract, output: OUTPUTS[pick % OUTPUTS.length] as JsonSchema } })),
  (def, pick) => withNode(def, pick, (n) => ({ ...n, retry: { attempts: 1 + (pick % 3) } })),
  (def, pick) => withNode(def, pick, (n) => ({ ...n, join: n.join === "any" ? "all" : "any" })),
  (def, pick) => ({ ...def, edges: def.edges.filter((_, i) => i !== pick % Math.max(1, def.edges.length)) }),
  (def, pick) => ({ ...def, edges: [...def.edges, { from: at(def.nodes, pick)?.id as string, to: at(def.nodes, pick * 7 + 3)?.id as string, max: 2 }] }),
  (def, pick) => ({ ...def, edges: def.edges.map((e, i) => (i === pick % Math.max(1, def.edges.length) ? { ...e, max: 1 + (pick % 4) } : e)) }),
  (def) => {
    const last = def.nodes[def.nodes.length - 1] as NodeDef;
    const id = `added${def.nodes.length}`;
    const node: NodeDef = { ...last, id, block: id, input: { kind: "object", fields: { text: { kind: "output", node: last.id, path: ["text"] } } } } as NodeDef;
    return { ...def, nodes: [...def.nodes, node], edges: [...def.edges, { from: last.id, to: id }], output: { kind: "output", node: id, path: [] } };
  },
  (def) => {
    if (def.nodes.length < 2) return def;
    const last = def.nodes[def.nodes.length - 1] as NodeDef;
    const prev = def.nodes[def.nodes.length - 2] as NodeDef;
    return { ...def, nodes: def.nodes.slice(0, -1), edges: def.edges.filter((e) => e.from !== last.id && e.to !== last.id), output: { kind: "output", node: prev.id, path: [] } };
  },
  (def, pick) => ({ ...def, id: `random${pick}` }),
  (def) => ({ ...def, contract: { ...def.contract, input: { type: "object", properties: { text: { type: "string", maxLength: 3 } }, required: ["text"] } } }),
  (def) => ({ ...def, supervision: { strategy: "rest_for_one" } }),
];

const mutatedArb = fc
  .tuple(graphArb, fc.array(fc.tuple(fc.integer({ min: 0, max: MUTATIONS.length - 1 }), fc.nat(100)), { minLength: 1, maxLength: 3 }))
  .map(([def, steps]) => ({ before: def, after: steps.reduce((d, [m, pick]) => (MUTATIONS[m] as Mutation)(d, pick), def) }));

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("diffGraphs properties", () => {
  it("finds no change, and only safe positions, between a graph and a copy of it", () => {
    fc.assert(
      fc.property(graphArb, (def) => {
        const diff = diffGraphs(def, clone(def));
        expect(diff).toMatchObject({ changes: [], callers: "unchanged", flow: "unchanged", inFlight: "unchanged", issues: [], breaking: false });
        expect(diff.positions.map((p) => p.block)).toEqual(def.nodes.map((n) => n.id));
        expect(diff.positions.every((p) => p.safe && p.reasons.length === 0)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("is deterministic, JSON data, independent of block order, and consistent", () => {
    const order = Object.keys(CHANGE_CODES);
    fc.assert(
      fc.property(mutatedArb, fc.nat(), ({ before, after }, seed) => {
        const diff = diffGraphs(before, after);
        expect(diffGraphs(clone(before), clone(after))).toStrictEqual(diff);
        expect(clone(diff)).toStrictEqual(diff);
        // Listing the new graph's blocks in another order changes nothing (ids are unique here;
        // with duplicates the first one counts, as in the checker and the runtime).
        const rotated = { ...after, nodes: after.nodes.map((_, i) => after.nodes[(i + seed) % after.nodes.length] as NodeDef) };
        expect(diffGraphs(before, rotated).changes).toStrictEqual(diff.changes);
        // Changes come in a stable order: by path, then by code.
        const keys = diff.changes.map((c) => [c.path, order.indexOf(c.code)] as const);
        expect([...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))).toEqual(keys);
        // The verdicts agree with each other.
        const unsafe = new Set(diff.positions.filter((p) => !p.safe).map((p) => p.block));
        for (const change of diff.changes) {
          expect(change.inFlight).toBe(change.unsafeAt.length ? "breaking" : "compatible");
          for (const block of change.unsafeAt) expect(unsafe.has(block)).toBe(true);
        }
        for (const p of diff.positions) expect(p.safe).toBe(p.reasons.length === 0);
        expect(diff.inFlight).toBe(diff.changes.length === 0 ? "unchanged" : unsafe.size ? "breaking" : "compatible");
        expect(diff.breaking).toBe(diff.callers === "breaking" || diff.flow === "breaking" || diff.inFlight === "breaking");
      }),
      { numRuns: 150 },
    );
  });

  it("finds descriptions harmless for callers and runs in flight", () => {
    fc.assert(
      fc.property(graphArb, fc.string({ maxLength: 10 }), (def, text) => {
        // A graph the checker rejects cannot take runs: every position of a change to it is unsafe.
        fc.pre(check(def).every((i) => i.severity !== "error"));
        const after = { ...def, description: `${text}!`, nodes: def.nodes.map((n) => ({ ...n, description: text })) };
        const diff = diffGraphs(def, after);
        expect(diff.changes.every((c) => c.code === "description_changed")).toBe(true);
        expect(diff.changes.length).toBeGreaterThan(0);
        expect(diff).toMatchObject({ callers: "unchanged", flow: "unchanged", inFlight: "compatible", breaking: false });
      }),
      { numRuns: 100 },
    );
  });
});
