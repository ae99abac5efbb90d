import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAIServer } from "@blockwork/nodes/testing";
import type { Io } from "../src/io.js";
import { main } from "../src/main.js";
import { cli, root } from "./capture.js";

// Each test works on its own copy of examples/lego inside the repository (so that the copy's
// imports of @blockwork/spec and zod resolve).
let dir: string;
let rel: string;
beforeEach(async () => {
  dir = await mkdtemp(join(root, "packages/cli/test/fixtures/lego/tmp-"));
  rel = relative(root, dir);
  await cp(join(root, "examples/lego"), dir, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("blockwork verify", { timeout: 180_000 }, () => {
  it("passes the example's implemented blocks", async () => {
    const { code, out } = await cli(["verify", `${rel}/slug.graph.ts`]);
    expect(out).toContain("ok   slugify: 100 generated inputs, 4 examples, 2 properties");
    expect(out).toContain("ok   readingTime: 100 generated inputs, 2 examples, 2 properties");
    expect(code).toBe(0);
  });

  it("prints the shrunk counterexample of a seeded bug and exits 1", async () => {
    // Seeded bug: the implementation counts on " " only, so a newline joins two words into one... or none into one.
    await writeFile(join(dir, "reading-time.impl.ts"), 'import type { Input, Output } from "./reading-time.contract.js";\nexport default function run(input: Input): Output {\n  const words = input.body.split(" ").filter((w) => w !== "").length;\n  return { words, minutes: Math.max(1, Math.ceil(words / 200)) };\n}\n');
    const { code, out } = await cli(["verify", `${rel}/slug.graph.ts`, "--block", "readingTime"]);
    expect(code).toBe(1);
    expect(out).toContain('FAIL readingTime: the property "blank text has no words" does not hold');
    expect(out).toMatch(/counterexample \(shrunk \d+ times?\): input \{"body":"(\\n|\\t)"\}/);
    expect(out).not.toContain("slugify");
  });

  it("reports a declared block without implementation, and an unknown --block clearly", async () => {
    await rm(join(dir, "slugify.impl.ts"));
    const missing = await cli(["verify", `${rel}/slug.graph.ts`]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/FAIL slugify: not implemented \(Block "slugify" is declared but not implemented/);
    const unknown = await cli(["verify", `${rel}/slug.graph.ts`, "--block", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('has no code block "nope"');
  });
});

describe("blockwork implement", { timeout: 180_000 }, () => {
  it("writes the missing blocks with the scripted model, refusing the wrong candidates first", async () => {
    await rm(join(dir, "slugify.impl.ts"));
    await rm(join(dir, "slugify.contract.ts"));
    const { code, out, err } = await cli(["implement", `${rel}/slug.graph.ts`, "--missing", "--script", `${rel}/implement.script.json`]);
    expect(err).toContain("Model: none. The code comes from the script");
    expect(err).toContain("attempt 1/4 (context");
    expect(err).toContain("refused (verify_failed)");
    expect(out).toMatch(/ok {3}slugify: accepted after 3 attempts \(context \d+ tokens\); wrote .*slugify\.impl\.ts, .*slugify\.contract\.ts/);
    expect(out).not.toContain("readingTime");
    expect(code).toBe(0);
    expect((await cli(["check", `${rel}/slug.graph.ts`])).code).toBe(0);
  });

  it("repair mode re-implements a block whose verification fails after a contract change", async () => {
    const graph = join(dir, "slug.graph.ts");
    const text = await readFile(graph, "utf8");
    // The contract changes: words are joined by underscores now.
    await writeFile(
      graph,
      text
        .replace("words joined by single dashes", "words joined by single underscores")
        .replace("/^[a-z0-9]+(?:-[a-z0-9]+)*$|^$/", "/^[a-z0-9]+(?:_[a-z0-9]+)*$|^$/")
        .replace('"hello-world"', '"hello_world"')
        .replace('"blockwork-2-0-released"', '"blockwork_2_0_released"')
        .replace('output.slug.split("-")', 'output.slug.split("_")'),
    );
    const fixed = '```ts\nimport type { Input, Output } from "./slugify.contract.js";\nexport default function run(input: Input): Output {\n  return { slug: input.title.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase() };\n}\n```';
    await writeFile(join(dir, "repair.script.json"), JSON.stringify({ slugify: [fixed] }));
    const { code, out, err } = await cli(["implement", `${rel}/slug.graph.ts`, "--repair", "--script", `${rel}/repair.script.json`]);
    expect(err).toContain("verify slugify: failed");
    expect(err).toContain("verify readingTime: passed");
    expect(err).toContain('Repairing block "slugify"');
    expect(out).toMatch(/ok {3}slugify: accepted after 1 attempt/);
    expect(code).toBe(0);
    expect(await readFile(join(dir, "slugify.impl.ts"), "utf8")).toContain('"_"');
    expect((await cli(["verify", `${rel}/slug.graph.ts`])).code).toBe(0);
  });
});

describe("blockwork implement with BLOCKWORK_MODEL", { timeout: 180_000 }, () => {
  it("calls the model over the OpenAI-compatible HTTP API (a local fake server) and feeds the diagnostics back", async () => {
    await rm(join(dir, "slugify.impl.ts"));
    const script = JSON.parse(await readFile(join(dir, "implement.script.json"), "utf8")) as { slugify: string[] };
    const server = await startFakeOpenAIServer((_request, n) => ({ content: script.slugify[Math.min(n, script.slugify.length) - 1] ?? "" }));
    try {
      let out = "";
      let err = "";
      const io: Io = { cwd: root, env: { NO_COLOR: "1", BLOCKWORK_MODEL: "openai-compatible:fake-coder", BLOCKWORK_BASE_URL: server.url }, isTTY: false, out: (t) => (out += t), err: (t) => (err += t) };
      const code = await main(["implement", `${rel}/slug.graph.ts`, "--block", "slugify"], io);
      expect(err).toContain("Model: openai-compatible:fake-coder.");
      expect(out, err).toMatch(/ok {3}slugify: accepted after 3 attempts/);
      expect(code).toBe(0);
      // The second request carries the first candidate's refusal back to the model.
      const second = server.requests[1]?.messages.map((m) => String(m.content)).join("\n") ?? "";
      expect(second).toContain("Your candidate was refused (verify_failed)");
      expect(second).toContain('"slug":"hello-world-"');
    } finally {
      await server.close();
    }
  });
});

describe("blockwork coordinate --implement", { timeout: 180_000 }, () => {
  it("implements the declared block its patch added, with the block agent's gates", async () => {
    await writeFile(
      join(dir, "catalogue.ts"),
      `import { declareBlock, defineCatalogue } from "@blockwork/spec";
import { z } from "zod";

export const sentiment = declareBlock({
  id: "sentiment",
  purpose: "Scores the mood of a text: +1 per word 'good', -1 per word 'bad', over the count of both.",
  input: z.object({ text: z.string() }),
  output: z.object({ mood: z.enum(["positive", "neutral", "negative"]), score: z.number().min(-1).max(1) }),
  examples: [
    { input: { text: "good good" }, output: { mood: "positive", score: 1 } },
    { input: { text: "" }, output: { mood: "neutral", score: 0 } },
  ],
  properties: { "mood follows score": ({ output }) => (output.score > 0.2 ? output.mood === "positive" : output.score < -0.2 ? output.mood === "negative" : output.mood === "neutral") },
  implementation: new URL("./sentiment.impl.ts", import.meta.url),
});

export const catalogue = defineCatalogue([sentiment]);
`,
    );
    const head = 'import type { Input, Output } from "./sentiment.contract.js";\n';
    // Wrong first: counts only "good" and returns the count as the score (breaks score <= 1).
    const wrong = `\`\`\`ts\n${head}export default function run(input: Input): Output {\n  const plus = input.text.split(" ").filter((w) => w === "good").length;\n  return { mood: plus > 0 ? "positive" : "neutral", score: plus };\n}\n\`\`\``;
    const right =
      "```ts\n" +
      head +
      'export default function run(input: Input): Output {\n  const words = input.text.split(/\\s+/);\n  const plus = words.filter((w) => w === "good").length;\n  const minus = words.filter((w) => w === "bad").length;\n  const score = plus + minus === 0 ? 0 : (plus - minus) / (plus + minus);\n  return { mood: score > 0.2 ? "positive" : score < -0.2 ? "negative" : "neutral", score };\n}\n```';
    await writeFile(join(dir, "implement-sentiment.json"), JSON.stringify({ sentiment: [wrong, right] }));
    const { code, out, err } = await cli([
      "coordinate", "examples/text-digest/digest.graph.ts", "--goal", "Also report the mood of the text: add a field mood to the output.",
      "--catalogue", `${rel}/catalogue.ts`, "--script", "examples/coordinator/session.json", "--implement", "--implement-script", `${rel}/implement-sentiment.json`,
    ]);
    expect(err).toMatch(/attempt 3\/4: applied/);
    expect(err).toContain('Implementing block "sentiment"');
    expect(err).toContain("refused (verify_failed)");
    expect(out).toMatch(/ok {3}sentiment: accepted after 2 attempts/);
    expect(code).toBe(0);
    expect(await readFile(join(dir, "sentiment.impl.ts"), "utf8")).toContain('w === "bad"');
  });
});
