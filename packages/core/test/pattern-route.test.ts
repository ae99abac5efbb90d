/** Pattern routes at run time: the first matching case is taken, as compiled from the GraphDef. */
import { createGraph, defineContract, firstOf, P } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryStore, run, type RunEvent } from "../src/index.js";

const Ticket = z.object({ kind: z.enum(["refund", "question"]), amount: z.number(), note: z.string().optional() });

function triage(trace: string[]) {
  const classify = defineContract({ id: "classify", input: Ticket, output: Ticket }).implement((t) => t);
  const leaf = <const $Id extends string>(id: $Id) => defineContract({ id, input: z.object({}), output: z.object({ went: z.string() }) }).implement(() => (trace.push(id), { went: id }));
  return createGraph({ id: "triage", input: Ticket, output: z.object({ went: z.string() }) })
    .then(classify)
    .add(leaf("review"))
    .add(leaf("auto"))
    .add(leaf("noted"))
    .add(leaf("answer"))
    .match("classify", (m) =>
      m
        .with({ kind: "refund", amount: P.number.gte(100) }, () => "review")
        .with({ kind: "refund", note: P.when((n) => typeof n === "string" && n.includes("!")) }, () => "noted")
        .with({ kind: "refund" }, () => "auto")
        .otherwise(() => "answer"),
    )
    .output((_, b) => ({ went: firstOf(b.review.went, b.auto.went, b.noted.went, b.answer.went) }))
    .build();
}

describe("pattern routes (runtime)", () => {
  it("takes the first case whose pattern matches, the guard of a P.when case, and otherwise", async () => {
    const cases: [z.input<typeof Ticket>, string][] = [
      [{ kind: "refund", amount: 150 }, "review"],
      [{ kind: "refund", amount: 150, note: "!" }, "review"],
      [{ kind: "refund", amount: 5, note: "urgent!" }, "noted"],
      [{ kind: "refund", amount: 5 }, "auto"],
      [{ kind: "question", amount: 500 }, "answer"],
    ];
    for (const [input, expected] of cases) {
      const trace: string[] = [];
      const events: RunEvent[] = [];
      await expect(run(triage(trace), input, { onEvent: (e) => events.push(e) }).result).resolves.toEqual({ went: expected });
      expect(trace, JSON.stringify(input)).toEqual([expected]);
      expect(events.find((e) => e.type === "edge.taken" && e.from === "classify")).toMatchObject({ to: expected, kind: expected === "answer" ? "otherwise" : "case" });
    }
  });

  it("reads a field set to undefined as absent, as the journal (JSON) will", async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    // `note: undefined` on the live value is absent in the journal: both read as absent.
    const classify = defineContract({ id: "classify", input: z.object({}), output: z.object({ note: z.string().optional() }) }).implement(() => ({ note: undefined }));
    const leaf = <const $Id extends string>(id: $Id) => defineContract({ id, input: z.object({}), output: z.object({}) }).implement(() => (trace.push(id), {}));
    const graph = createGraph({ id: "absent", input: z.object({}), output: z.object({}) })
      .then(classify)
      .add(leaf("none"))
      .add(leaf("some"))
      // ts-pattern itself would take "some" (the key is there); as JSON, it is not.
      .match("classify", (m) => m.with({ note: P._ }, () => "some").otherwise(() => "none"))
      .output(() => ({}))
      .build();
    await run(graph, {}, { store }).result;
    expect(trace).toEqual(["none"]);
  });

  it("refuses to run a graph whose P.when case has no guard (a def without its graph block)", async () => {
    const graph = triage([]);
    const stripped = { ...graph, guards: new Map() } as typeof graph;
    // run() throws while planning, before a run exists.
    expect(() => run(stripped, { kind: "refund", amount: 1 })).toThrow(/no guard named "classify#2"/);
  });
});
