/**
 * rlm blocks and data by reference:
 *
 * - Context tokens per model call of the rlm-corpus example's hardest question (search, 20
 *   sub-calls through llm_batch, tally) over corpora of 1, 10 and 50 MB (`--quick`: 1 and 2 MB),
 *   against the block's context budget; and, for 1 MB, the tokens the same corpus needs inlined.
 * - Sandbox overhead per cell: a trivial cell through the sandbox (worker round trip, QuickJS
 *   evaluation, reading `answer`), a cell with one host call, and a whole cell of an rlm block
 *   (scripted model turn, cell, journaled steps), against `node:vm` running the same code in
 *   process (no security boundary: the floor).
 * - Blob store throughput, SQLite store against plain file I/O of the same bytes in the same run:
 *   write, read it all, and 64 KiB slices at random offsets.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vm from "node:vm";
import { handleOf, MemoryStore, run, SqliteStore } from "@blockwork/core";
import { countContextTokens, rlmBlock } from "@blockwork/nodes";
import { scriptedModel } from "@blockwork/nodes/testing";
import { createGraph, defineContract } from "@blockwork/spec";
import { corpusText, generateCorpus } from "../examples/rlm-corpus/corpus.js";
import { Answer, Question } from "../examples/rlm-corpus/corpus.graph.js";
import { ask, setupCorpus } from "../examples/rlm-corpus/demo.js";
import { QUESTIONS, scriptedCorpusModels } from "../examples/rlm-corpus/scripted.js";
// Internal: the sandbox itself, to measure a cell without a model turn around it.
import { bootstrapSource } from "../packages/nodes/src/rlm/bootstrap.js";
import { Sandbox } from "../packages/nodes/src/rlm/sandbox.js";
import { type Row, stats } from "./table.js";

const MB = 1024 * 1024;
const CONTEXT_BUDGET = 6_000; // the example's budget.contextTokens

async function contextRows(quick: boolean): Promise<Row[]> {
  const sizes = quick ? [1, 2] : [1, 10, 50];
  const rows: Row[] = [];
  for (const mb of sizes) {
    const store = new MemoryStore();
    const { handle } = await setupCorpus(store, mb * MB);
    const asked = await ask(store, handle, QUESTIONS.complaints, scriptedCorpusModels());
    const s = stats(asked.contextTokens);
    rows.push({
      name: `rlm: context tokens per model call, ${mb} MB corpus`,
      unit: "tokens",
      ...s,
      baselineName: `budget ${CONTEXT_BUDGET}`,
      ratio: s.max / CONTEXT_BUDGET,
      note: `${asked.contextTokens.length} calls (${asked.cells} cells, ${asked.subCalls} sub-calls); ratio = max / budget`,
    });
  }
  const text = await corpusText(MB);
  const inlined = countContextTokens([{ role: "user", content: text }]);
  rows.push({ name: "  the 1 MB corpus inlined into one context", unit: "tokens", median: inlined, min: inlined, max: inlined, baselineName: `budget ${CONTEXT_BUDGET}`, ratio: inlined / CONTEXT_BUDGET, note: "what an agent block is refused (context_overflow); grows with the corpus" });
  return rows;
}

async function cellRows(quick: boolean): Promise<Row[]> {
  const n = quick ? 200 : 2_000;
  const limits = { memoryBytes: 64 * MB, stackBytes: 256 * 1024, cpuMsPerCell: 2_000, outputChars: 16_000 };
  const sandbox = await Sandbox.open(limits, bootstrapSource(1), async (name) => (name === "blob_slice" ? { value: "x".repeat(1024) } : { error: "no" }));
  const times = async (code: string) => {
    for (let i = 0; i < 20; i++) await sandbox.run(code, i);
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await sandbox.run(code, i);
      t.push(performance.now() - start);
    }
    return stats(t);
  };
  try {
    await sandbox.run("var x = 1;", 0);
    const context = vm.createContext({ x: 1 });
    const script = "x = x + 1; JSON.stringify({ ready: false })";
    const floor: number[] = [];
    for (let i = 0; i < 20; i++) vm.runInContext(script, context);
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      vm.runInContext(script, context);
      floor.push(performance.now() - start);
    }
    const base = stats(floor);
    const trivial = await times("x = x + 1");
    const hostCall = await times("x = blob_slice(null, 0, 1024).length");
    const rows: Row[] = [
      { name: "cell: node:vm in process (no boundary, the floor)", unit: "ms/cell", ...base },
      { name: "cell: trivial, through the QuickJS sandbox", unit: "ms/cell", ...trivial, baselineName: "node:vm", ratio: trivial.median / base.median, note: "target < 2 ms/cell" },
      { name: "cell: one host call (1 KiB slice)", unit: "ms/cell", ...hostCall, baselineName: "node:vm", ratio: hostCall.median / base.median },
    ];
    // A whole cell of an rlm block (the scripted model's turn, the cell, both journaled as steps),
    // as the difference between a block of many cells and one of two: the sandbox's start-up
    // (a worker and a QuickJS instance, once per block execution) is its own row.
    const blockMs = async (cells: number) => {
      const store = new MemoryStore();
      const corpus = handleOf(await store.putBlob("tiny corpus", { mediaType: "text/plain" }));
      const model = scriptedModel((Array.from({ length: cells }, (_, i) => `\`\`\`js\n${i === cells - 1 ? "answer = { content: { answer: 'done', evidence: [] }, ready: true }" : "var k = (typeof k === 'number' ? k : 0) + 1"}\n\`\`\``)));
      const block = rlmBlock(defineContract({ id: "ask", input: Question, output: Answer }), { instructions: "Count.", model, budget: { cells, modelCalls: cells + 1, tokens: 10_000_000, contextTokens: 100_000 } });
      const graph = createGraph({ id: "cells", input: Question, output: Answer }).then(block, (i) => i).output((_, { ask }) => ask).build();
      const started = performance.now();
      await run(graph, { corpus, question: "?" }, { store }).result;
      return performance.now() - started;
    };
    const many = quick ? 22 : 102;
    await blockMs(2);
    const small: number[] = [];
    const large: number[] = [];
    for (let r = 0; r < (quick ? 3 : 5); r++) {
      small.push(await blockMs(2));
      large.push(await blockMs(many));
    }
    // The fastest of each: on a shared machine, the least disturbed run.
    const perCell = (stats(large).min - stats(small).min) / (many - 2);
    const startup = stats(small).min - 2 * perCell;
    rows.push(
      { name: "  a cell of an rlm block (model turn, cell, two journaled steps)", unit: "ms/cell", median: perCell, min: perCell, max: perCell, note: `(fastest block of ${many} cells − fastest of 2) / ${many - 2}, in memory` },
      { name: "  an rlm block's sandbox start-up (worker, QuickJS, bindings)", unit: "ms/block", median: startup, min: startup, max: startup, note: "once per block execution" },
    );
    return rows;
  } finally {
    await sandbox.close();
  }
}

async function blobRows(quick: boolean): Promise<Row[]> {
  const size = (quick ? 8 : 50) * MB;
  const dir = mkdtempSync(join(tmpdir(), "blockwork-bench-blobs-"));
  const chunks: Uint8Array[] = [];
  for await (const chunk of generateCorpus(size, 99)) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const mbOf = (n: number) => n / MB;
  const rate = (n: number, ms: number) => mbOf(n) / (ms / 1000);
  const rows: Row[] = [];
  const runs = quick ? 2 : 3;
  try {
    const fileWrite: number[] = [];
    const fileRead: number[] = [];
    const storeWrite: number[] = [];
    const storeRead: number[] = [];
    for (let r = 0; r < runs; r++) {
      const path = join(dir, `plain-${r}.bin`);
      let t = performance.now();
      writeFileSync(path, bytes);
      fileWrite.push(rate(bytes.length, performance.now() - t));
      t = performance.now();
      readFileSync(path);
      fileRead.push(rate(bytes.length, performance.now() - t));
      // A fresh store each run: a put of content already stored only rehashes it.
      const store = new SqliteStore(join(dir, `blobs-${r}.sqlite`));
      t = performance.now();
      const record = await store.putBlob(bytes, { mediaType: "text/plain" });
      storeWrite.push(rate(bytes.length, performance.now() - t));
      t = performance.now();
      let read = 0;
      for await (const chunk of store.readBlob(record.hash)) read += chunk.length;
      storeRead.push(rate(read, performance.now() - t));
      store.close();
    }
    const fw = stats(fileWrite);
    const fr = stats(fileRead);
    const sw = stats(storeWrite);
    const sr = stats(storeRead);
    rows.push(
      { name: `blobs: write ${mbOf(size)} MB, plain file (writeFileSync)`, unit: "MB/s", ...fw },
      { name: `blobs: write ${mbOf(size)} MB, SQLite store (chunk, sha-256, insert)`, unit: "MB/s", ...sw, baselineName: "plain file", ratio: sw.median / fw.median, note: "higher is better" },
      { name: `blobs: read ${mbOf(size)} MB, plain file (readFileSync)`, unit: "MB/s", ...fr },
      { name: `blobs: read ${mbOf(size)} MB, SQLite store (streamed by chunk)`, unit: "MB/s", ...sr, baselineName: "plain file", ratio: sr.median / fr.median, note: "higher is better" },
    );
    // 64 KiB slices at random offsets: positional reads of the file against range reads of the blob.
    const store = new SqliteStore(join(dir, "blobs-0.sqlite"));
    const hash = (await store.putBlob(bytes)).hash;
    const slices = quick ? 200 : 1_000;
    const offsets = Array.from({ length: slices }, (_, i) => Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * (size - 65_536)));
    const fd = openSync(join(dir, "plain-0.bin"), "r");
    const buffer = Buffer.alloc(65_536);
    let t = performance.now();
    for (const offset of offsets) readSync(fd, buffer, 0, 65_536, offset);
    const fileSlices = rate(slices * 65_536, performance.now() - t);
    closeSync(fd);
    t = performance.now();
    for (const offset of offsets) for await (const _chunk of store.readBlob(hash, { start: offset, end: offset + 65_536 }));
    const storeSlices = rate(slices * 65_536, performance.now() - t);
    store.close();
    const point = (v: number) => ({ median: v, min: v, max: v });
    rows.push(
      { name: `blobs: ${slices} slices of 64 KiB, plain file (positional read)`, unit: "MB/s", ...point(fileSlices) },
      { name: `blobs: ${slices} slices of 64 KiB, SQLite store (range read)`, unit: "MB/s", ...point(storeSlices), baselineName: "plain file", ratio: storeSlices / fileSlices, note: "reads only the chunks a slice overlaps" },
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function rlmRows(quick: boolean): Promise<Row[]> {
  return [...(await contextRows(quick)), ...(await cellRows(quick)), ...(await blobRows(quick))];
}
