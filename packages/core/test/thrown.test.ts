import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGraph, defineContract } from "@blockwork/spec";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { describeThrown, run, SqliteStore, THROWN_LIMITS, type ThrownError } from "../src/index.js";
import { N } from "./fixtures/graphs.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-thrown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class LookupError extends Error {
  override readonly name = "LookupError";
  readonly code = "E_LOOKUP";
}

function depth(t: ThrownError | undefined): number {
  return t === undefined ? 0 : 1 + depth(t.cause);
}

describe("a thrown block error keeps its name, message, stack and cause chain", () => {
  it("in the run record and in the journal of a failed attempt (a real SQLite file, read back by a second store)", async () => {
    const file = join(dir, "runs.sqlite");
    const store = new SqliteStore(file);
    const lookup = defineContract({ id: "lookup", input: N, output: N }).implement(() => {
      const root = new TypeError("Cannot read properties of undefined (reading 'x')");
      throw new LookupError("the user lookup failed", { cause: new Error("the profile service answered 503", { cause: root }) });
    });
    const graph = createGraph({ id: "g", input: N, output: N })
      .then(lookup, (input) => input, { retry: { attempts: 2, initialDelayMs: 1 } })
      .output((_, { lookup }) => lookup)
      .build();
    const handle = run(graph, { n: 1 }, { store });
    const error = await handle.result.catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/block lookup: threw: LookupError: the user lookup failed \(after 2 attempts\)$/);
    store.close?.();

    const again = new SqliteStore(file);
    const record = await again.getRun(handle.id);
    const thrown = record?.error?.thrown;
    expect(thrown).toMatchObject({ name: "LookupError", message: "the user lookup failed", code: "E_LOOKUP" });
    expect(thrown?.stack).toMatch(/^LookupError: the user lookup failed\n\s+at .*thrown\.test\.ts/);
    expect(thrown?.cause).toMatchObject({ name: "Error", message: "the profile service answered 503" });
    expect(thrown?.cause?.cause).toMatchObject({ name: "TypeError", message: "Cannot read properties of undefined (reading 'x')" });
    expect(thrown?.cause?.cause?.stack).toMatch(/^TypeError: Cannot read properties/);
    const attempt = (await again.journal(handle.id)).find((e) => e.kind === "attempt.failed");
    expect(attempt?.kind === "attempt.failed" && attempt.error.thrown?.name).toBe("LookupError");
    again.close?.();
  });

  it("describes thrown non-errors too", () => {
    expect(describeThrown("plain text")).toEqual({ name: "string", message: "plain text" });
    expect(describeThrown({ status: 500 })).toEqual({ name: "object", message: '{"status":500}' });
    expect(describeThrown(null)).toEqual({ name: "null", message: "null" });
  });
});

/** Anything a block may throw: errors with long messages and stacks, deep or cyclic causes, hostile getters. */
const thrownValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.constant(undefined),
    fc.constant(null),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string()),
    fc.record({ message: fc.string({ maxLength: 5_000 }), name: fc.string({ maxLength: 400 }), stackLines: fc.nat(200), cause: tie("value"), cyclic: fc.boolean(), hostile: fc.boolean() }).map((s) => {
      const error = new Error(s.message, { cause: s.cause });
      error.name = s.name;
      error.stack = `${s.name}: ${s.message}\n${Array.from({ length: s.stackLines }, (_, i) => `    at frame${i} (file:///a/very/long/path/${"x".repeat(i)}.ts:1:1)`).join("\n")}`;
      if (s.cyclic) (error as { cause?: unknown }).cause = error;
      if (s.hostile) Object.defineProperty(error, "code", { get: () => { throw new Error("no code for you"); } });
      return error;
    }),
  ),
})).value;

describe("describeThrown (property)", () => {
  it("always returns JSON of bounded size whose chain ends, whatever was thrown", () => {
    const perLink = THROWN_LIMITS.message + THROWN_LIMITS.stack + 200 + 200 + 100;
    fc.assert(
      fc.property(thrownValue, (value) => {
        const thrown = describeThrown(value);
        const json = JSON.stringify(thrown);
        expect(JSON.parse(json)).toEqual(thrown);
        expect(depth(thrown)).toBeLessThanOrEqual(THROWN_LIMITS.causes);
        // Characters, not bytes; JSON escapes at most double a character of these strings.
        expect(json.length).toBeLessThanOrEqual(2 * THROWN_LIMITS.causes * perLink);
        for (let t: ThrownError | undefined = thrown; t; t = t.cause) {
          expect(t.message.length).toBeLessThanOrEqual(THROWN_LIMITS.message);
          expect((t.stack ?? "").split("\n").length).toBeLessThanOrEqual(THROWN_LIMITS.stackLines);
          expect((t.stack ?? "").length).toBeLessThanOrEqual(THROWN_LIMITS.stack);
        }
      }),
      { numRuns: 300 },
    );
  });
});
