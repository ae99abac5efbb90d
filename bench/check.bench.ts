/**
 * `npm run bench:check`: how fast `check` is on generated graphs of 100, 1,000 and 10,000 blocks
 * (against a baseline measured in the same run: serialising the same GraphDef to JSON, one linear
 * pass over it), and how much type-checking time the typed builder costs on a 200-block graph
 * (against the same 200 contracts without a graph).
 *
 * Flags: --quick (small sizes, no tsc; for CI smoke runs), --json <file> (rows as JSON).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { check } from "@blockwork/spec";
import { generateGraph } from "./generate.js";
import { printTable, stats, timeRuns, type Row } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The checker's rows: check time on generated graphs, and (unless quick) tsc on a typed graph. */
export function checkRows(quick: boolean): Row[] {
  const rows: Row[] = [];
  const sizes = quick ? [100, 1_000] : [100, 1_000, 10_000];
  let perBlockAt100 = 0;
  for (const size of sizes) {
    const def = generateGraph(size);
    const issues = check(def);
    if (issues.length > 0) throw new Error(`the generated ${size}-block graph should be clean, got ${issues.length} issues: ${issues[0]?.message}`);
    const runs = size >= 10_000 ? 7 : size >= 1_000 ? 15 : 50;
    // Warm-up runs first: the numbers are for a JIT-compiled checker, as in a CI job checking many files.
    const warmup = size >= 10_000 ? 2 : 10;
    const base = stats(timeRuns(() => JSON.stringify(def), runs, warmup));
    const measured = stats(timeRuns(() => check(def), runs, warmup));
    const perBlock = (measured.median * 1000) / size;
    if (size === 100) perBlockAt100 = perBlock;
    rows.push({
      name: `check ${size.toLocaleString("en")} blocks`,
      unit: "ms",
      ...measured,
      baselineName: "JSON.stringify(def)",
      ratio: measured.median / base.median,
      note: `${perBlock.toFixed(1)} µs/block${size > 100 && perBlockAt100 ? `, ${(perBlock / perBlockAt100).toFixed(2)}× the per-block cost at 100` : ""}`,
    });
    rows.push({ name: `  baseline ${size.toLocaleString("en")} blocks`, unit: "ms", ...base });
  }

  if (!quick) rows.push(...typeCheckRows());
  return rows;
}

// `npm run bench:check` runs this file alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const rows = checkRows(args.includes("--quick"));
  process.stdout.write(`${printTable("blockwork check: static checking cost (lower is better)", rows)}\n`);
  const jsonAt = args.indexOf("--json");
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1] ?? "bench-check.json", `${JSON.stringify(rows, null, 2)}\n`);
}

/** tsc --noEmit on a 200-block typed graph against the same contracts without the graph. */
function typeCheckRows(): Row[] {
  const dir = join(here, ".tmp", "typed-200");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "contracts.ts"), contractsSource(200));
  writeFileSync(join(dir, "graph.ts"), graphSource(200));
  writeFileSync(join(dir, "baseline.ts"), `import * as c from "./contracts.js";\nexport const all = Object.values(c);\n`);
  const tsconfig = (entry: string) => {
    const file = join(dir, `tsconfig.${entry}.json`);
    writeFileSync(file, JSON.stringify({ extends: "../../../tsconfig.base.json", compilerOptions: { noEmit: true, noUnusedLocals: false }, files: [`${entry}.ts`] }));
    return file;
  };
  const tsc = join(here, "..", "node_modules", "typescript", "bin", "tsc");
  const measure = (entry: string) => {
    const project = tsconfig(entry);
    const samples = [0, 1, 2].map(() => {
      const out = execFileSync(process.execPath, [tsc, "-p", project, "--extendedDiagnostics"], { encoding: "utf8" });
      const pick = (label: string) => Number(new RegExp(`${label}:\\s+([\\d.]+)`).exec(out)?.[1] ?? NaN);
      return { check: pick("Check time") * 1000, total: pick("Total time") * 1000, instantiations: pick("Instantiations"), memory: pick("Memory used") };
    });
    return {
      check: stats(samples.map((s) => s.check)),
      total: stats(samples.map((s) => s.total)),
      instantiations: samples[0]?.instantiations ?? NaN,
      memory: samples[0]?.memory ?? NaN,
    };
  };
  const base = measure("baseline");
  const typed = measure("graph");
  return [
    {
      name: "tsc check time, 200-block typed graph",
      unit: "ms",
      ...typed.check,
      baselineName: "same 200 contracts, no graph",
      ratio: typed.check.median / base.check.median,
      note: `${typed.instantiations.toLocaleString("en")} instantiations, ${Math.round(typed.memory / 1024)} MB`,
    },
    { name: "  baseline tsc check time", unit: "ms", ...base.check, note: `${base.instantiations.toLocaleString("en")} instantiations` },
    { name: "tsc total time, 200-block typed graph", unit: "ms", ...typed.total, baselineName: "same 200 contracts, no graph", ratio: typed.total.median / base.total.median },
  ];
}

function contractsSource(n: number): string {
  const lines = ['import { z } from "zod";', 'import { defineContract } from "@blockwork/spec";', ""];
  for (let i = 0; i < n; i++) {
    lines.push(
      `export const b${i} = defineContract({ id: "b${i}", input: z.object({ text: z.string(), n: z.number().int(), tag: z.string().optional() }), output: z.object({ text: z.string(), n: z.number().int(), kind: z.enum(["left", "right"]) }) }).implement(({ text, n }) => ({ text, n: n + 1, kind: n % 2 ? "left" : "right" }));`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function graphSource(n: number): string {
  const lines = [
    'import { z } from "zod";',
    'import { createGraph, firstOf } from "@blockwork/spec";',
    'import * as c from "./contracts.js";',
    "",
    'export const graph = createGraph({ id: "typed-200", input: z.object({ text: z.string() }), output: z.object({ text: z.string(), n: z.number() }) })',
    "  .then(c.b0, (input) => ({ text: input.text, n: 0 }))",
  ];
  for (let i = 1; i < n; i++) {
    if (i % 10 === 1 && i + 2 < n) {
      lines.push(`  .add(c.b${i}, (_, { b${i - 1} }) => ({ text: b${i - 1}.text, n: b${i - 1}.n }))`);
      lines.push(`  .add(c.b${i + 1}, (_, { b${i - 1} }) => ({ text: b${i - 1}.text, n: b${i - 1}.n, tag: "right" }))`);
      lines.push(`  .route("b${i - 1}", "kind", { left: "b${i}", right: "b${i + 1}" })`);
      lines.push(`  .add(c.b${i + 2}, (_, { b${i}, b${i + 1}, b${i - 1} }) => ({ text: firstOf(b${i}.text, b${i + 1}.text), n: b${i - 1}.n }))`);
      lines.push(`  .edge("b${i}", "b${i + 2}").edge("b${i + 1}", "b${i + 2}")`);
      i += 2;
    } else {
      lines.push(`  .then(c.b${i}, (_, { b${i - 1} }) => ({ text: b${i - 1}.text, n: b${i - 1}.n }))`);
    }
  }
  lines.push(`  .output((_, { b${n - 1} }) => ({ text: b${n - 1}.text, n: b${n - 1}.n }))`, "  .build();", "");
  return lines.join("\n");
}
