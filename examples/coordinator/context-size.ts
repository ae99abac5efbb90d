import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type ContextReport, countContextTokens, previewContext } from "@blockwork/nodes";
import { type Catalogue, catalogueOf, type GraphBlock } from "@blockwork/spec";
import { releaseNotesGraph } from "../release-notes/release-notes.graph.js";
import { supportAgentGraph } from "../support-agent/support.graph.js";
import { triageGraph } from "../support-triage/triage.graph.js";
import { digestGraph } from "../text-digest/digest.graph.js";
import { catalogue as digestCatalogue } from "./catalogue.js";

/**
 * How big the coordinator's context is for the example graphs, against the full source of the
 * graph's blocks (the .ts files that define them), in tokens of the agent block's tokenizer.
 *
 *   node --conditions=@blockwork/source --import tsx examples/coordinator/context-size.ts
 */

export interface ContextSize {
  readonly graph: string;
  readonly blocks: number;
  readonly catalogue: number;
  readonly context: ContextReport;
  /** The source files that define the graph's blocks. */
  readonly sources: readonly string[];
  readonly sourceTokens: number;
}

const GOAL = { goal: "Also report the mood of the text: add a field mood to the output." };

const EXAMPLES: readonly { graph: GraphBlock; catalogue: Catalogue; sources: readonly string[] }[] = [
  { graph: digestGraph, catalogue: digestCatalogue, sources: ["../text-digest/digest.graph.ts", "./catalogue.ts"] },
  { graph: triageGraph, catalogue: catalogueOf(triageGraph), sources: ["../support-triage/triage.graph.ts"] },
  { graph: releaseNotesGraph, catalogue: catalogueOf(releaseNotesGraph), sources: ["../release-notes/release-notes.graph.ts", "../text-digest/digest.graph.ts"] },
  { graph: supportAgentGraph, catalogue: catalogueOf(supportAgentGraph), sources: ["../support-agent/support.graph.ts"] },
];

export function contextSizes(): ContextSize[] {
  return EXAMPLES.map(({ graph, catalogue, sources }) => ({
    graph: graph.def.id,
    blocks: graph.def.nodes.length,
    catalogue: catalogue.entries.length,
    context: previewContext({ graph: graph.def, catalogue, task: GOAL }).report,
    sources,
    sourceTokens: sources.reduce((sum, file) => sum + tokens(readFileSync(new URL(file, import.meta.url), "utf8")), 0),
  }));
}

function tokens(text: string): number {
  // The agent block's count of one message, without the message's framing.
  return countContextTokens([{ role: "user", content: text }]) - 7;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = contextSizes().map((s) => [
    s.graph,
    String(s.blocks),
    String(s.catalogue),
    String(s.context.tokens),
    String(s.context.sections.system),
    String(s.context.sections.graph),
    String(s.context.sections.catalogue),
    String(s.sourceTokens),
    s.sources.map((f) => f.replace(/^\.\.?\//, "")).join(" + "),
  ]);
  const head = ["graph", "blocks", "catalogue", "context", "fixed", "graph", "catalogue", "source", "source files"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [head, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] as number)).join("  ")}\n`);
  process.stdout.write("\ncontext: the coordinator's whole first call; fixed: instructions and the patch schema (the same for every graph); tokens: o200k (gpt-tokenizer), as the agent block counts them.\n");
}
