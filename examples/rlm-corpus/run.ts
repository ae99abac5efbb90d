/**
 * The rlm-corpus example, end to end:
 *
 *   npx tsx examples/rlm-corpus/run.ts              # ~50 MB corpus, the scripted model
 *   npx tsx examples/rlm-corpus/run.ts --mb 10
 *
 * It generates a deterministic corpus into a SQLite store's blob store, answers three questions
 * with an rlm block, and then asks the first question of an agent block with the whole corpus
 * inlined, which its context budget refuses. The model is SCRIPTED (see scripted.ts): it writes
 * real search code that runs for real over the real corpus, but what it says is a script.
 * `blockwork runs show <id> --store <file>` shows every cell of a run.
 */
import { SqliteStore } from "@blockwork/core";
import { ask, askInlined, setupCorpus } from "./demo.js";
import { QUESTIONS, SCRIPTED_LABEL, scriptedCorpusModels } from "./scripted.js";

const args = process.argv.slice(2);
const mb = Number(args[args.indexOf("--mb") + 1] ?? 50) || 50;
const file = args.includes("--store") ? (args[args.indexOf("--store") + 1] as string) : ".blockwork/rlm-corpus.sqlite";
const out = (line: string) => process.stdout.write(`${line}\n`);

const store = new SqliteStore(file);
out(`Generating a ${mb} MB corpus into ${file} ...`);
const { handle, ms } = await setupCorpus(store, mb * 1024 * 1024);
out(`corpus: ${handle.size.toLocaleString("en")} bytes, ${handle.$blob.slice(0, 19)}…, stored in ${(ms / 1000).toFixed(1)} s`);
out("");
for (const question of Object.values(QUESTIONS)) {
  const asked = await ask(store, handle, question, scriptedCorpusModels());
  out(`${SCRIPTED_LABEL} Q: ${question}`);
  out(`${SCRIPTED_LABEL} A: ${asked.answer.answer}`);
  out(`  ${asked.cells} cells, ${asked.subCalls} sub-calls; context tokens per model call: max ${Math.max(...asked.contextTokens)}, all ${asked.contextTokens.join(" ")}`);
  out(`  evidence at byte offsets ${asked.answer.evidence.map((e) => e.offset).join(", ")}; every cell: npx blockwork runs show ${asked.runId} --store ${file}`);
  out("");
}
out(`The first question again, with the whole ${mb} MB corpus inlined into an agent block's input (counting its tokens takes a while) ...`);
const inlined = await askInlined(mb * 1024 * 1024, QUESTIONS.incident, scriptedCorpusModels().model);
out(inlined.refused ? `refused before any model call: needs ${inlined.needed?.toLocaleString("en")} context tokens, budget ${inlined.budget?.toLocaleString("en")}` : inlined.message);
out(`  ${inlined.message}`);
store.close();
