/**
 * Pattern routes (`.match()`) against discriminant routes (`.route()`), measured in the same run:
 *
 * - ns per routing decision over 5 cases: the runtime's compiled predicates (`compilePattern`, what
 *   a run evaluates), ts-pattern's own `match(...).with(...)` on the same patterns, and the
 *   discriminant route's Map lookup (baseline);
 * - µs per run of a graph classify -> one of 4 blocks (5 pattern cases, or 4 discriminant cases), pattern route against discriminant route;
 * - ms to check each of the two graphs.
 */
import { run } from "@blockwork/core";
import { check, compilePattern, createGraph, defineContract, firstOf, P, type GraphBlock, type JsonSchema } from "@blockwork/spec";
import { match } from "ts-pattern";
import { z } from "zod";
import { type Row, stats, timeRuns } from "./table.js";

const Out = z.object({ kind: z.enum(["refund", "question", "bug", "other"]), amount: z.number(), tags: z.array(z.string()) });
type Ticket = z.output<typeof Out>;
const outputs: Ticket[] = Array.from({ length: 1_000 }, (_, i) => ({
  kind: (["refund", "question", "bug", "other"] as const)[i % 4] as Ticket["kind"],
  amount: (i * 37) % 300,
  tags: i % 3 === 0 ? ["vip", "x"] : [],
}));

const patterns = [
  { kind: "refund", amount: P.number.gte(100) },
  { kind: "refund" },
  { kind: "bug", tags: [P.string.startsWith("vip"), ...P.array(P.string)] },
  { kind: P.union("question", "bug") },
  P._,
] as const;

function routed(kind: "pattern" | "discriminant"): GraphBlock {
  const classify = defineContract({ id: "classify", input: Out, output: Out }).implement((t) => t);
  const leaf = <const $Id extends string>(id: $Id) => defineContract({ id, input: z.object({}), output: z.object({ to: z.string() }) }).implement(() => ({ to: id }));
  const g = createGraph({ id: `bench-${kind}`, input: Out, output: z.object({ to: z.string() }) })
    .then(classify)
    .add(leaf("a"))
    .add(leaf("b"))
    .add(leaf("c"))
    .add(leaf("d"));
  const wired =
    kind === "pattern"
      ? g.match("classify", (m) =>
          m
            .with(patterns[0], () => "a")
            .with(patterns[1], () => "b")
            .with(patterns[2], () => "c")
            .with(patterns[3], () => "b")
            .with(patterns[4], () => "d")
            .exhaustive(),
        )
      : g.route("classify", "kind", { refund: "a", question: "b", bug: "c", other: "d" });
  return wired.output((_, b) => ({ to: firstOf(b.a.to, b.b.to, b.c.to, b.d.to) })).build() as unknown as GraphBlock;
}

function decisions(quick: boolean): Row[] {
  const pattern = routed("pattern");
  const tests = pattern.def.edges.filter((e) => e.when?.kind === "match").map((e) => compilePattern((e.when as { pattern: JsonSchema }).pattern) as (v: unknown) => boolean);
  const lookup = new Map<unknown, number>([["refund", 0], ["question", 1], ["bug", 2], ["other", 3]]);
  let sink = 0;
  const repeat = quick ? 20 : 200;
  const runs = quick ? 5 : 15;
  const per = (fn: () => void) => stats(timeRuns(() => { for (let r = 0; r < repeat; r++) fn(); }, runs).map((ms) => (ms * 1e6) / (repeat * outputs.length)));
  const base = per(() => {
    for (const o of outputs) sink += lookup.get(o.kind) ?? 4;
  });
  const compiled = per(() => {
    for (const o of outputs) {
      let k = 0;
      while (k < tests.length && !(tests[k] as (v: unknown) => boolean)(o)) k++;
      sink += k;
    }
  });
  const tsp = per(() => {
    for (const o of outputs) {
      sink += match<Ticket, number>(o)
        .with(patterns[0], () => 0)
        .with(patterns[1], () => 1)
        .with(patterns[2], () => 2)
        .with(patterns[3], () => 3)
        .with(patterns[4], () => 4)
        .exhaustive();
    }
  });
  if (sink < 0) throw new Error("unreachable");
  const b = { name: "discriminant Map lookup", median: base.median };
  return [
    { name: "route decision: discriminant Map lookup", unit: "ns/decision", ...base },
    { name: "route decision: compiled patterns (5 cases)", unit: "ns/decision", ...compiled, baselineName: b.name, ratio: compiled.median / b.median },
    { name: "route decision: ts-pattern match (5 cases)", unit: "ns/decision", ...tsp, baselineName: b.name, ratio: tsp.median / b.median },
  ];
}

async function runs(quick: boolean): Promise<Row[]> {
  const graphs = { discriminant: routed("discriminant"), pattern: routed("pattern") };
  const n = quick ? 200 : 2_000;
  const samples = quick ? 3 : 7;
  const batch = async (g: GraphBlock) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await run(g, outputs[i % outputs.length] as never).result;
    return Number(process.hrtime.bigint() - start) / 1e3 / n;
  };
  for (const g of [graphs.discriminant, graphs.pattern]) for (let i = 0; i < 50; i++) await run(g, outputs[i] as never).result;
  // Samples alternate between the two graphs, so that load on the machine and GC hit both alike.
  const times = { discriminant: [] as number[], pattern: [] as number[] };
  for (let s = 0; s < samples; s++) {
    times.discriminant.push(await batch(graphs.discriminant));
    times.pattern.push(await batch(graphs.pattern));
  }
  const base = stats(times.discriminant);
  const pattern = stats(times.pattern);
  const checkMs = (g: GraphBlock) => stats(timeRuns(() => check(g.def), quick ? 5 : 20));
  const cBase = checkMs(graphs.discriminant);
  const cPattern = checkMs(graphs.pattern);
  return [
    { name: "run classify -> 1 of 4: discriminant route", unit: "µs/run", ...base },
    { name: "run classify -> 1 of 4: pattern route (5 cases)", unit: "µs/run", ...pattern, baselineName: "discriminant route run", ratio: pattern.median / base.median },
    { name: "check: discriminant route graph", unit: "ms", ...cBase },
    { name: "check: pattern route graph (exhaustiveness proof)", unit: "ms", ...cPattern, baselineName: "discriminant route check", ratio: cPattern.median / cBase.median },
  ];
}

/** The rows of this file, for `npm run bench`. */
export async function routeMatchRows(quick: boolean): Promise<Row[]> {
  return [...decisions(quick), ...(await runs(quick))];
}
