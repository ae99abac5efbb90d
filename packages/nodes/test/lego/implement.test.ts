import { mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declareBlock } from "@blockwork/spec";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { implementBlock, implementContext } from "../../src/index.js";
import { scriptedModel } from "../../src/testing/index.js";

const clamp = declareBlock({
  id: "clamp",
  purpose: "Clamps a number into [lo, hi].",
  input: z.object({ x: z.number().int().min(-1000).max(1000), lo: z.number().int().min(-10).max(0), hi: z.number().int().min(0).max(10) }),
  output: z.object({ value: z.number().int() }),
  examples: [{ input: { x: 5, lo: 0, hi: 10 }, output: { value: 5 } }],
  properties: {
    "within bounds": ({ input, output }) => output.value >= input.lo && output.value <= input.hi,
    "unchanged inside": ({ input, output }) => input.x < input.lo || input.x > input.hi || output.value === input.x,
  },
});

const ts = (code: string) => `Here is the file.\n\`\`\`ts\n${code}\n\`\`\``;
const head = 'import type { Input, Output } from "./clamp.contract.js";\n';
const CORRECT = ts(`${head}export default function run({ x, lo, hi }: Input): Output {\n  return { value: Math.min(hi, Math.max(lo, x)) };\n}`);
const TYPE_ERROR = ts(`${head}export default function run({ x }: Input): Output {\n  return { value: String(x) };\n}`);
// Type-checks, passes the example, breaks "within bounds" above hi.
const NO_UPPER_BOUND = ts(`${head}export default function run({ x, lo }: Input): Output {\n  return { value: Math.max(lo, x) };\n}`);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bw-implement-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("implementBlock", () => {
  it("repairs through a type error and a property failure, and writes only the verified candidate", async () => {
    // The accepted answer names its own file: that is allowed.
    const model = scriptedModel([TYPE_ERROR, NO_UPPER_BOUND, `File: clamp.impl.ts\n${CORRECT}`]);
    const file = join(dir, "clamp.impl.ts");
    const result = await implementBlock({ block: clamp, file, model, runs: 200 });
    expect(result.status).toBe("accepted");
    expect(result.attempts.map((a) => a.refusal ?? "accepted")).toEqual(["type_error", "verify_failed", "accepted"]);
    expect(result.attempts[0]?.diagnostics[0]).toMatch(/^clamp\.impl\.ts:3:\d+ TS2322: Type 'string' is not assignable to type 'number'/);
    // The property failure goes back with its shrunk counterexample: x just above hi.
    expect(result.attempts[1]?.diagnostics.join("\n")).toContain('the property "within bounds" does not hold');
    expect(result.attempts[1]?.diagnostics.join("\n")).toMatch(/counterexample \(shrunk \d+ times?\): input \{"x":\d+,"lo":-?\d+,"hi":\d+\}/);
    // The feedback really reached the agent: the third request holds both refusals.
    const third = model.calls[2]?.messages.map((m) => m.content).join("\n") ?? "";
    expect(third).toContain("TS2322");
    expect(third).toContain("within bounds");
    expect(await readFile(file, "utf8")).toContain("Math.min(hi, Math.max(lo, x))");
    expect(await readFile(join(dir, "clamp.contract.ts"), "utf8")).toContain("export type Input = {");
    expect(result.contextTokens).toBeGreaterThan(100);
    expect(result.contextTokens).toBeLessThan(1500);
  });

  it("refuses code that type-checks but fails a property, and writes nothing when the budget runs out", async () => {
    const file = join(dir, "clamp.impl.ts");
    const result = await implementBlock({ block: clamp, file, model: scriptedModel([NO_UPPER_BOUND, NO_UPPER_BOUND]), attempts: 2 });
    expect(result.status).toBe("exhausted");
    expect(result.attempts.every((a) => a.refusal === "verify_failed")).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(result.written).toEqual([]);
  });

  it("refuses writing outside its file, imports it may not make, and reaching outside the block", async () => {
    const file = join(dir, "clamp.impl.ts");
    const replies = [
      `File: ../../etc/evil.ts\n\`\`\`ts\n${CORRECT.split("```ts\n")[1]}`,
      `File: ../elsewhere/clamp.impl.ts\n\`\`\`ts\n${CORRECT.split("```ts\n")[1]}`,
      ts(`import { writeFileSync } from "node:fs";\n${head}export default function run({ x, lo, hi }: Input): Output {\n  writeFileSync("/tmp/x", "");\n  return { value: Math.min(hi, Math.max(lo, x)) };\n}`),
      ts(`${head}export default function run({ x, lo, hi }: Input): Output {\n  const fs = (globalThis as any).process;\n  void fs;\n  return { value: Math.min(hi, Math.max(lo, x)) };\n}`),
      ts(`${head}export default async function run({ x, lo, hi }: Input): Promise<Output> {\n  await import("node:child_process");\n  return { value: Math.min(hi, Math.max(lo, x)) };\n}`),
      ts(`import { Input, Output } from "./clamp.contract.js";\nexport default function run({ x, lo, hi }: Input): Output {\n  return { value: Math.min(hi, Math.max(lo, x)) };\n}`),
      ts(`${head}export default function run({ x, lo, hi }: Input): Output {\n  const f = ({}).constructor.constructor("return 1");\n  return { value: Math.min(hi, Math.max(lo, x)) + 0 * Number(f()) };\n}`),
      "I would rather not.",
    ];
    const result = await implementBlock({ block: clamp, file, model: scriptedModel(replies), attempts: replies.length });
    expect(result.status).toBe("exhausted");
    expect(result.attempts.map((a) => a.refusal)).toEqual(["wrong_file", "wrong_file", "forbidden", "forbidden", "forbidden", "forbidden", "forbidden", "no_code"]);
    expect(result.attempts[0]?.diagnostics[0]).toContain("You may write only clamp.impl.ts; the answer writes ../../etc/evil.ts");
    expect(result.attempts[1]?.diagnostics[0]).toContain("the answer writes ../elsewhere/clamp.impl.ts");
    expect(result.attempts[2]?.diagnostics[0]).toContain('importing "node:fs" is not allowed');
    expect(result.attempts[3]?.diagnostics[0]).toContain("`globalThis` is not allowed");
    expect(result.attempts[4]?.diagnostics[0]).toContain("dynamic import() is not allowed");
    expect(result.attempts[5]?.diagnostics[0]).toContain("with `import type`");
    expect(result.attempts[6]?.diagnostics[0]).toContain("`.constructor` is not allowed");
    expect(existsSync(file)).toBe(false);
  });

  it("gives the agent only its block: purpose, contract types, examples, properties, its file", () => {
    const messages = implementContext({ block: clamp, file: join(dir, "clamp.impl.ts") });
    const text = messages.map((m) => m.content).join("\n");
    expect(text).toContain('Block "clamp": Clamps a number into [lo, hi].');
    expect(text).toContain("File you write: clamp.impl.ts");
    expect(text).toContain("You may import (types only): ./clamp.contract.js");
    expect(text).toContain('{"x":5,"lo":0,"hi":10} → {"value":5}');
    expect(text).toContain("within bounds: ({ input, output }) => output.value >= input.lo && output.value <= input.hi");
    expect(text).toContain("export type Output = {\n  value: number;\n};");
  });

  it("repair mode shows the agent the current code and why it fails", () => {
    const messages = implementContext({ block: clamp, file: join(dir, "clamp.impl.ts"), repair: { code: "export default () => ({ value: 0 })", failure: "FAIL clamp: examples[0]" } });
    const text = messages.map((m) => m.content).join("\n");
    expect(text).toContain("The current implementation no longer passes (the contract changed):");
    expect(text).toContain("export default () => ({ value: 0 })");
    expect(text).toContain("FAIL clamp: examples[0]");
  });
});
