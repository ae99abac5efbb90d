// The Lego loop (docs/lego.md): blocks declared by contract, purpose, examples and properties;
// their implementations (slugify.impl.ts, reading-time.impl.ts) were written by
// `blockwork implement` and accepted only after they type-checked and passed `blockwork verify`.
import { createGraph, declareBlock } from "@blockwork/spec";
import { z } from "zod";

const Post = z.object({ title: z.string().max(120), body: z.string().max(2_000) });

export const slugify = declareBlock({
  id: "slugify",
  purpose: "Turns a title into a URL slug: lowercase ASCII letters and digits, words joined by single dashes.",
  input: z.object({ title: z.string().max(120) }),
  output: z.object({ slug: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$|^$/) }),
  examples: [
    { input: { title: "Hello, World!" }, output: { slug: "hello-world" } },
    { input: { title: "  Blockwork 2.0 -- released " }, output: { slug: "blockwork-2-0-released" } },
    { input: { title: "¿Qué?" }, output: { slug: "qu" }, note: "letters outside ASCII are dropped" },
    { input: { title: "" }, output: { slug: "" } },
  ],
  properties: {
    "no longer than the title": ({ input, output }) => output.slug.length <= input.title.length,
    "keeps every ASCII word": ({ input, output }) => (input.title.match(/[A-Za-z0-9]+/g) ?? []).every((w) => output.slug.split("-").includes(w.toLowerCase())),
  },
  implementation: new URL("./slugify.impl.ts", import.meta.url),
});

export const readingTime = declareBlock({
  id: "readingTime",
  purpose: "Estimates the minutes needed to read a text at 200 words a minute, rounded up, at least 1.",
  input: z.object({ body: z.string().max(2_000) }),
  output: z.object({ words: z.number().int().min(0), minutes: z.number().int().min(1) }),
  examples: [
    { input: { body: "" }, output: { words: 0, minutes: 1 } },
    { input: { body: "one two three" }, output: { words: 3, minutes: 1 } },
  ],
  properties: {
    "200 words a minute": ({ output }) => output.minutes === Math.max(1, Math.ceil(output.words / 200)),
    "blank text has no words": ({ input, output }) => input.body.trim() !== "" || output.words === 0,
  },
  implementation: new URL("./reading-time.impl.ts", import.meta.url),
});

export const postGraph = createGraph({
  id: "post-meta",
  description: "The slug and reading time of a blog post.",
  input: Post,
  output: z.object({ slug: z.string(), minutes: z.number().int() }),
})
  .add(slugify, (input) => ({ title: input.title }))
  .add(readingTime, (input) => ({ body: input.body }))
  .start("slugify", "readingTime")
  .output((_, { slugify, readingTime }) => ({ slug: slugify.slug, minutes: readingTime.minutes }))
  .build();
