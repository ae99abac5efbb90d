/**
 * The memory-support example: a support conversation of 1,000 turns (one run per turn, one
 * customer's thread memory across them), with a SCRIPTED model (scripted.ts) that answers only
 * from its context. It prints the answers at turns 900 and 901 (facts told at turns 3 and 5) and
 * writes the context tokens of every model call to context-tokens.csv.
 *
 *   npx tsx examples/memory-support/run.ts [--turns 1000] [--store .blockwork/memory-support.sqlite]
 */
import { rmSync, writeFileSync } from "node:fs";
import { SqliteStore } from "@blockwork/core";
import { converse, toCsv } from "./conversation.js";
import { messageAt, SCRIPTED_LABEL, scriptedSupportModel } from "./scripted.js";

const args = process.argv.slice(2);
const turns = Number(args[args.indexOf("--turns") + 1] ?? 1000) || 1000;
const file = args.includes("--store") ? (args[args.indexOf("--store") + 1] as string) : ".blockwork/memory-support.sqlite";
rmSync(file, { force: true });
const store = new SqliteStore(file);
const { calls, replies, evictions } = await converse(store, scriptedSupportModel(), turns);
const csv = new URL("./context-tokens.csv", import.meta.url);
writeFileSync(csv, toCsv(calls));
const out = (line: string) => process.stdout.write(`${line}\n`);
for (const turn of [3, 5, 900, 901].filter((t) => t <= turns)) out(`turn ${turn}: ${messageAt(turn)}\n  ${SCRIPTED_LABEL} ${replies.get(turn)}`);
out(`${calls.length} model calls over ${turns} turns; context tokens: max ${Math.max(...calls.map((c) => c.total))} (budget 2000), ${evictions} evictions; per call in ${csv.pathname}`);
store.close();
