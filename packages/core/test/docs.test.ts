import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { blockLifecycle, RUNTIME_ERROR_CODES, stateDiagram, supervisorMachine } from "../src/index.js";

// The machines drawn in docs/supervision.md are generated from the code: they must not drift.
const doc = readFileSync(new URL("../../../docs/supervision.md", import.meta.url), "utf8");

function drawn(name: string): string {
  const match = new RegExp(`<!-- ${name}:start -->\\n\`\`\`mermaid\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(doc);
  if (!match) throw new Error(`docs/supervision.md has no ${name} diagram`);
  return match[1] as string;
}

describe("docs/supervision.md", () => {
  it.each([
    ["supervisor", supervisorMachine],
    ["lifecycle", blockLifecycle],
  ] as const)("draws the %s machine as it is in the code", (name, machine) => {
    expect(drawn(name)).toBe(stateDiagram(machine));
  });
});

describe("docs/errors.md", () => {
  it("lists every runtime error code with the meaning the code gives it", () => {
    const errors = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const table = /<!-- runtime-codes:start -->\n([\s\S]*?)<!-- runtime-codes:end -->/.exec(errors)?.[1] ?? "";
    const rows = Object.entries(RUNTIME_ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
    expect(table).toBe(["| code | meaning |", "| --- | --- |", ...rows, ""].join("\n"));
  });
});
