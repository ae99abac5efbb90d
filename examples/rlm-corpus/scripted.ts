import type { Model, ModelRequest } from "@blockwork/nodes";
import { scriptedModel, textOf } from "@blockwork/nodes/testing";

/**
 * A SCRIPTED stand-in for a model, for running the example without one: for each of the three
 * questions it writes the cells a capable model would (real search code, run for real in the
 * sandbox over the real corpus). Its sub-model reads the `reason=` field of the record it is
 * given. Everything it "says" is scripted; the example labels its output as such.
 */
export const SCRIPTED_LABEL = "[scripted model]";

export const QUESTIONS = {
  incident: "What was the root cause of INCIDENT-4471?",
  returns: "How many orders from the north region were returned?",
  complaints: "What do customers complain about most for widget-7?",
} as const;

const CELLS: Record<keyof typeof QUESTIONS, string[]> = {
  incident: [
    `const hits = blob_search(corpus, "INCIDENT-4471", { context: 0 });\nprint(hits.total, hits.matches.map((m) => m.offset));`,
    `const at = hits.matches[0].offset;\nconst line = blob_slice(corpus, at, at + 300).split("\\n")[0];\nprint(line);`,
    `const cause = /root-cause="([^"]+)"/.exec(line)[1];\nanswer = { content: { answer: "The root cause of INCIDENT-4471 was " + cause + ".", evidence: [{ offset: at, excerpt: line.slice(0, 300) }] }, ready: true };`,
  ],
  returns: [
    `const needle = "region=north status=returned";\nconst found = blob_search(corpus, needle, { max: 3, context: 80 });\nprint("total:", found.total);\nconst lineAt = (m) => m.text.split("\\n").find((l) => l.includes(needle));\nprint(found.matches.map(lineAt));`,
    `// Cross-check the literal search with a regular expression on the first MiB, inside the sandbox.\nconst head = blob_slice(corpus, 0, 1 << 20);\nconst inHead = (head.match(/region=north status=returned/g) || []).length;\nconst headHits = blob_search(corpus, needle, { max: 0 }).total - blob_search(corpus, needle, { max: 0, start: 1 << 20 }).total;\nprint(inHead, headHits);`,
    `answer = { content: { answer: found.total + " orders from the north region were returned.", evidence: found.matches.map((m) => ({ offset: m.offset, excerpt: lineAt(m).slice(0, 300) })) }, ready: true };`,
  ],
  complaints: [
    `const needle = "status=complaint product=widget-7";\nconst found = blob_search(corpus, needle, { max: 20, context: 120 });\nprint(found.total, found.matches.length);`,
    `const lines = found.matches.map((m) => m.text.split("\\n").find((l) => l.includes(needle)));\nconst reasons = llm_batch(lines.map((l) => ({ prompt: "In two or three words, what is this customer's complaint about?", data: l })));\nconst tally = {};\nfor (const r of reasons) tally[r] = (tally[r] || 0) + 1;\nprint(tally);`,
    `const [reason, count] = Object.entries(tally).sort((a, b) => b[1] - a[1])[0];\nanswer = { content: { answer: "Of the first " + lines.length + " of " + found.total + " complaints about widget-7, " + count + " are about " + reason + ".", evidence: found.matches.slice(0, 3).map((m, i) => ({ offset: m.offset, excerpt: lines[i].slice(0, 300) })) }, ready: true };`,
  ],
};

function which(request: ModelRequest): keyof typeof QUESTIONS {
  const text = textOf(request);
  for (const [key, question] of Object.entries(QUESTIONS)) if (text.includes(JSON.stringify(question))) return key as keyof typeof QUESTIONS;
  throw new Error("the scripted corpus model only knows the example's three questions");
}

/** The scripted model that writes the cells, and the scripted sub-model behind llm_query / llm_batch. */
export function scriptedCorpusModels(): { model: Model; subModel: Model } {
  const model = scriptedModel(
    {
      rules: [
        {
          when: () => true,
          reply: (request) => {
            const cells = CELLS[which(request)];
            const turn = request.messages.filter((m) => m.role === "assistant").length;
            return `Cell ${turn + 1}:\n\`\`\`js\n${cells[Math.min(turn, cells.length - 1)]}\n\`\`\``;
          },
        },
      ],
    },
    "scripted:rlm-corpus-cells",
  );
  const subModel = scriptedModel({ rules: [{ when: () => true, reply: (request) => /reason=([a-z ]+)/.exec(textOf(request))?.[1] ?? "unclear" }] }, "scripted:rlm-corpus-reader");
  return { model, subModel };
}
