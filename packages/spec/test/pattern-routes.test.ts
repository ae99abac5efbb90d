/**
 * Pattern routes (`.match()`): serialisation of ts-pattern patterns to JSON Schema, the compiled
 * predicates the runtime uses, and the checker's proofs of exhaustiveness, unreachable and
 * overlapping cases (docs/checker.md, "Pattern routes").
 */
import fc from "fast-check";
import { isMatching } from "ts-pattern";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, compilePattern, createGraph, defineContract, diffGraphs, formatIssues, P, toJsonSchema } from "../src/index.js";
import { analyseCases } from "../src/pattern/cover.js";
import { patternSchema } from "../src/pattern/pattern.js";

const Out = z.object({ kind: z.enum(["refund", "question", "other"]), amount: z.number(), tags: z.array(z.string()), note: z.string().nullable().optional() });
const classify = defineContract({ id: "classify", input: z.object({}), output: Out }).implement(() => ({ kind: "refund", amount: 1, tags: [] }));
const leaf = <const $Id extends string>(id: $Id) => defineContract({ id, input: z.object({}), output: z.object({}) }).implement(() => ({}));
const base = () => createGraph({ id: "g", input: z.object({}), output: z.object({}) }).then(classify).add(leaf("review")).add(leaf("auto")).add(leaf("answer"));
const issues = (g: { def: Parameters<typeof check>[0] }) => check(g.def).map((i) => `${i.code}: ${i.message}`);

describe("pattern routes: the checker", () => {
  it("accepts exhaustive cases and serialises them into the GraphDef", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ kind: "refund", amount: P.number.gte(100) }, () => "review")
          .with({ kind: "refund" }, () => "auto")
          .with({ kind: P.union("question", "other") }, () => "answer")
          .exhaustive(),
      )
      .output(() => ({}))
      .build();
    expect(issues(g)).toEqual([]);
    expect(g.def.edges.filter((e) => e.when?.kind === "match").map((e) => [e.to, e.when])).toEqual([
      ["review", { kind: "match", pattern: { type: "object", properties: { kind: { const: "refund" }, amount: { type: "number", minimum: 100 } }, required: ["kind", "amount"] } }],
      ["auto", { kind: "match", pattern: { type: "object", properties: { kind: { const: "refund" } }, required: ["kind"] } }],
      ["answer", { kind: "match", pattern: { type: "object", properties: { kind: { anyOf: [{ const: "question" }, { const: "other" }] } }, required: ["kind"] } }],
    ]);
  });

  it("non_exhaustive_route: names a counterexample output that no case matches", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ kind: "refund", amount: P.number.gte(100) }, () => "review")
          .with({ kind: "refund", amount: P.number.lt(100) }, () => "auto")
          // @ts-expect-error: "other" is not handled, so .exhaustive() is ts-pattern's NonExhaustiveError
          .with({ kind: "question" }, () => "answer").exhaustive(),
      )
      .output(() => ({}))
      .build();
    expect(formatIssues(check(g.def))).toMatchInlineSnapshot(`
      "  error non_exhaustive_route  graph "g" › block "classify" (nodes[0])
          The pattern route of block "classify" does not cover every output: no case matches {"kind":"other","amount":0,"tags":[]}. Add a case for it or an .otherwise(() => "target")."
    `);
  });

  it("splits numbers and strings by the bounds the cases use", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ amount: P.number.gte(100) }, () => "review")
          .with({ amount: P.number.lt(0) }, () => "auto")
          .with({ amount: P.number.between(0, 99) }, () => "answer")
          .otherwise(() => "answer"),
      )
      .output(() => ({}))
      .build();
    expect(issues(g)).toEqual([]);
    const gap = analyseCases(toJsonSchema(Out, "output"), [patternSchema({ amount: P.number.gte(100) }), patternSchema({ amount: P.number.lt(100) }), patternSchema({ tags: [] })]);
    expect(gap.exhaustive).toEqual({ kind: "yes" });
    expect(gap.cases[2]).toEqual({ kind: "unreachable", why: "shadowed" });
  });

  it("unreachable_route_case: a case shadowed by earlier ones, or matching no output", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ kind: "refund" }, () => "auto")
          .with({ kind: "refund", amount: 5 }, () => "review")
          .with({ kind: "refund", tags: P.string }, () => "review")
          .otherwise(() => "answer"),
      )
      .output(() => ({}))
      .build();
    expect(check(g.def).map((i) => [i.code, i.message.match(/case \d/)?.[0], i.message.includes("earlier case")])).toEqual([
      ["unreachable_route_case", "case 2", true],
      ["unreachable_route_case", "case 3", false],
    ]);
    expect(check(g.def)[1]?.message).toMatch(/no output of "classify" matches its pattern/);
    const none = analyseCases(toJsonSchema(Out, "output"), [patternSchema({ kind: "nope" })]);
    expect(none.cases[0]).toEqual({ kind: "unreachable", why: "never" });
  });

  it("overlapping_route_cases: warns when neither of two overlapping cases contains the other, not for specific-then-general", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ amount: P.number.gte(100) }, () => "review")
          .with({ kind: "refund" }, () => "auto")
          .otherwise(() => "answer"),
      )
      .output(() => ({}))
      .build();
    const found = check(g.def);
    expect(found.map((i) => [i.code, i.severity])).toEqual([["overlapping_route_cases", "warning"]]);
    expect(found[0]?.message).toMatch(/both match \{"kind":"refund","amount":1\d\d/);
    // Overlapping cases that lead to the same block route alike in any order: no warning.
    const same = base()
      .match("classify", (m) => m.with({ amount: P.number.gte(100) }, () => "review").with({ kind: "refund" }, () => "review").otherwise(() => "answer"))
      .add(leaf("x"))
      .edge("auto", "x")
      .output(() => ({}))
      .build();
    expect(check(same.def).map((i) => i.code)).not.toContain("overlapping_route_cases");
  });

  it("P.when and guards make the route unknown (compat_unknown), and the runtime gets a guard", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ kind: "refund", amount: P.when((n) => n > 3) }, () => "review")
          .with({ kind: "refund" }, (v) => v.amount > 0, () => "auto")
          .otherwise(() => "answer"),
      )
      .output(() => ({}))
      .build();
    expect(check(g.def).map((i) => [i.code, i.severity])).toEqual([
      ["compat_unknown", "warning"],
      ["compat_unknown", "warning"],
    ]);
    expect(check(g.def)[0]?.message).toMatch(/P\.when/);
    const edges = g.def.edges.filter((e) => e.when?.kind === "match");
    expect(edges.map((e) => (e.when as { guard?: string }).guard)).toEqual(["classify#1", "classify#2"]);
    expect(g.guards?.get("classify#1")?.({ kind: "refund", amount: 4, tags: [] })).toBe(true);
    expect(g.guards?.get("classify#2")?.({ kind: "refund", amount: 0, tags: [] })).toBe(false);
  });

  it("without otherwise, an unknown case makes exhaustiveness unknown", () => {
    const g = base()
      .match("classify", (m) => m.with({ amount: P.when((n) => n > 3) }, () => "review").with(P._, () => "answer").exhaustive())
      .add(leaf("x"))
      .output(() => ({}));
    const codes = check(g.build().def).map((i) => i.code);
    expect(codes).toContain("compat_unknown");
    expect(codes).not.toContain("non_exhaustive_route");
  });

  it("conflicting_route_fields: a block routes on a discriminant or with patterns, not both", () => {
    const g = base()
      .route("classify", "kind", { refund: "auto" }, "answer")
      .match("classify", (m) => m.with(P._, () => "review").exhaustive())
      .output(() => ({}))
      .build();
    expect(check(g.def).map((i) => i.code)).toContain("conflicting_route_fields");
  });

  it("reads tuples, variadic arrays, nullish and optional fields", () => {
    const g = base()
      .match("classify", (m) =>
        m
          .with({ tags: [] }, () => "auto")
          .with({ tags: [P.string.startsWith("vip"), ...P.array(P.string)] }, () => "review")
          .with({ note: P.nullish }, () => "answer")
          .with({ note: P.string }, () => "answer")
          .exhaustive(),
      )
      .output(() => ({}))
      .build();
    // Exhaustive; the cases on tags and on note overlap, which is only a warning.
    expect(new Set(check(g.def).map((i) => `${i.code}/${i.severity}`))).toEqual(new Set(["overlapping_route_cases/warning"]));
  });

  it("rejects handlers that read the value, and functions that do not end the chain", () => {
    expect(() => base().match("classify", (m) => m.with({ kind: "refund" }, (v) => (v.amount > 1 ? "review" : "auto")).otherwise(() => "answer"))).toThrow(/handlers are called once, when the graph is built/);
    // The types allow returning a target directly (the chain's end has the same type); the builder does not.
    expect(() => base().match("classify", () => "review")).toThrow(/must return m.with/);
  });
});

describe("pattern routes: the contract diff", () => {
  it("reports a changed pattern as a changed edge, breaking for runs in flight", () => {
    const at = (limit: number) =>
      base()
        .match("classify", (m) => m.with({ amount: P.number.gte(limit) }, () => "review").otherwise(() => "answer"))
        .output(() => ({}))
        .build().def;
    const diff = diffGraphs(at(100), at(200));
    expect(diff.changes.map((c) => c.code).sort()).toEqual(["edge_added", "edge_removed"]);
    expect(diff.inFlight).toBe("breaking");
    expect(diffGraphs(at(100), at(100)).changes).toEqual([]);
  });

  it("judges runs in flight in a loop closed by a pattern route as in one closed by a discriminant route", () => {
    const review = defineContract({ id: "review", input: z.object({}), output: z.object({ verdict: z.enum(["ok", "revise"]) }) }).implement(() => ({ verdict: "ok" }));
    const loop = (how: "match" | "route", description: string) => {
      const output = description === "v1" ? z.object({ x: z.string().optional() }) : z.object({ x: z.string() });
      const draft = defineContract({ id: "draft", description, input: z.object({}), output }).implement(() => ({ x: "" }));
      const g = createGraph({ id: "loop", input: z.object({}), output: z.object({}) }).then(draft).then(review, () => ({})).add(leaf("send"));
      const routed =
        how === "match"
          ? g.match("review", (m) => m.with({ verdict: "ok" }, () => "send").with({ verdict: "revise" }, () => ({ to: "draft", max: 3, onExhausted: "send" })).exhaustive())
          : g.route("review", "verdict", { ok: "send", revise: { to: "draft", max: 3, onExhausted: "send" } });
      return routed.output(() => ({})).build().def;
    };
    const verdicts = (how: "match" | "route") => diffGraphs(loop(how, "v1"), loop(how, "v2")).positions.map((p) => JSON.stringify(p));
    expect(check(loop("match", "v1"))).toEqual([]);
    expect(verdicts("match")).toEqual(verdicts("route"));
  });
});

describe("pattern routes: compiled predicates agree with ts-pattern on JSON values", () => {
  const scalar = fc.oneof(fc.constantFrom(null, true, false, 0, 1, 100, -5, 0.5, "", "vip", "vipx", "a", "refund"));
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("kind", "amount", "tags", "note"), tie("v"), { maxKeys: 3 })),
  })).v;
  const pattern: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    p: fc.oneof(
      { depthSize: "small" },
      scalar,
      fc.constantFrom(P.string, P.number, P.boolean, P._, P.nonNullable, P.string.startsWith("vip"), P.number.gte(1), P.number.lt(100).int(), P.string.minLength(1), P.number.positive(), P.string.includes("i")),
      fc.array(tie("p"), { maxLength: 2 }),
      fc.dictionary(fc.constantFrom("kind", "amount", "tags", "note"), tie("p"), { maxKeys: 2 }),
      tie("p").map((p) => P.array(p as never)),
      fc.tuple(tie("p"), tie("p")).map(([a, b]) => P.union(a as never, b as never)),
      fc.tuple(tie("p"), tie("p")).map(([a, b]) => P.intersection(a as never, b as never)),
      tie("p").map((p) => P.not(p as never)),
    ),
  })).p;

  // Absent-or-undefined patterns (P.optional, P.nullish, undefined) are left out here: ts-pattern
  // tells an absent key from one set to undefined, JSON cannot; they are tested below.
  it("on random patterns and values (objects are never arrays, as JSON)", () => {
    fc.assert(
      fc.property(pattern, value, (p, v) => {
        const test = compilePattern(patternSchema(p));
        expect(test).toBeDefined();
        // ts-pattern lets object patterns match arrays (typeof "object"); JSON Schema does not.
        if (JSON.stringify(v).includes("[") && hasObjectPattern(p)) return true;
        const tsp = isMatching(p as never, v);
        expect(test?.(v), `${JSON.stringify(patternSchema(p))} on ${JSON.stringify(v)}`).toBe(tsp);
      }),
      { numRuns: 2_000 },
    );
  });

  it("reads an absent field and one set to undefined alike", () => {
    const test = compilePattern(patternSchema({ note: P.nullish }));
    expect([test?.({}), test?.({ note: undefined }), test?.({ note: null }), test?.({ note: "x" })]).toEqual([true, true, true, false]);
    const present = compilePattern(patternSchema({ note: P._ }));
    expect([present?.({}), present?.({ note: undefined }), present?.({ note: 1 })]).toEqual([false, false, true]);
  });
});

function hasObjectPattern(p: unknown): boolean {
  return JSON.stringify(patternSchema(p)).includes('"type":"object"');
}

describe("pattern routes: the checker's verdicts hold (property)", () => {
  const kinds = ["a", "b", "c"] as const;
  const output = toJsonSchema(z.object({ kind: z.enum(kinds), n: z.number(), flag: z.boolean(), tags: z.array(z.enum(["x", "y"])).max(2) }), "output");
  const piece = fc.oneof(
    fc.constantFrom(...kinds).map((k) => ({ kind: k })),
    fc.integer({ min: -2, max: 2 }).map((b) => ({ n: P.number.gte(b) })),
    fc.integer({ min: -2, max: 2 }).map((b) => ({ n: P.number.lt(b) })),
    fc.boolean().map((f) => ({ flag: f })),
    fc.constantFrom([], ["x"], ["y", P._], [P.string, ...P.array("y")]).map((t) => ({ tags: t })),
    fc.constant(P._),
  );
  const plain = (x: unknown) => typeof x === "object" && x !== null && !(Symbol.for("@ts-pattern/matcher") in x);
  const casesArb = fc.array(fc.tuple(piece, piece).map(([a, b]) => (plain(a) && plain(b) ? { ...(a as object), ...(b as object) } : a)), { minLength: 1, maxLength: 5 });
  const outputs = fc.record({ kind: fc.constantFrom(...kinds), n: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -3, max: 3, noNaN: true })), flag: fc.boolean(), tags: fc.array(fc.constantFrom("x", "y"), { maxLength: 2 }) });

  it("exhaustive means every output matches some case; a counterexample is an uncovered output; unreachable cases never win", () => {
    fc.assert(
      fc.property(casesArb, fc.array(outputs, { minLength: 30, maxLength: 30 }), (cases, samples) => {
        const schemas = cases.map(patternSchema);
        const tests = schemas.map((s) => compilePattern(s) as (v: unknown) => boolean);
        const a = analyseCases(output, schemas);
        for (const o of samples) {
          const first = tests.findIndex((t) => t(o));
          if (a.exhaustive.kind === "yes") expect(first, `${JSON.stringify(schemas)} misses ${JSON.stringify(o)}`).toBeGreaterThanOrEqual(0);
          if (first >= 0) expect(a.cases[first]?.kind).not.toBe("unreachable");
        }
        if (a.exhaustive.kind === "no") expect(tests.some((t) => t(a.exhaustive.kind === "no" ? a.exhaustive.counterexample : null))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
