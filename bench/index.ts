/**
 * `npm run bench`: every benchmark, one table. `-- --quick` for a short smoke run (CI);
 * `-- --json <file>` also writes the rows as [{name, unit, median, min, max, baselineName, ratio}].
 * Packages are imported from their builds (dist/), as users run them.
 */
import { writeFileSync } from "node:fs";
import { checkRows } from "./check.bench.js";
import { runtimeRows } from "./runtime.bench.js";
import { printTable } from "./table.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonAt = args.indexOf("--json");
if (jsonAt >= 0 && !args[jsonAt + 1]) throw new Error("--json needs a file name: npm run bench -- --json results.json");

const runtime = await runtimeRows(quick);
process.stdout.write(`${printTable("blockwork runtime (lower is better; ratio = median / baseline median)", runtime)}\n\n`);
const checker = checkRows(quick);
process.stdout.write(`${printTable("blockwork check: static checking cost", checker)}\n`);
if (jsonAt >= 0) writeFileSync(args[jsonAt + 1] as string, `${JSON.stringify([...runtime, ...checker], null, 2)}\n`);
