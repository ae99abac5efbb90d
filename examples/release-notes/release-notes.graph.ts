import { z } from "zod";
import { createGraph, defineContract, maybe } from "@blockwork/spec";
import { digestGraph } from "../text-digest/digest.graph.js";

/**
 * Composition and a bounded loop: group commits, digest their bodies with the text-digest graph
 * used as one block (a black box with its own contract), then draft release notes and review them;
 * a failed review sends the draft back with feedback, at most three times, after which the notes
 * are published with the reviewer's remarks attached.
 */

const Commit = z.object({ hash: z.string().regex(/^[0-9a-f]{7,40}$/), message: z.string().min(1) });

export const groupCommits = defineContract({
  id: "groupCommits",
  description: "Sorts conventional commits into features, fixes and other changes.",
  input: z.object({ commits: z.array(Commit).min(1) }),
  output: z.object({
    features: z.array(z.string()),
    fixes: z.array(z.string()),
    other: z.array(z.string()),
    text: z.string().min(1),
  }),
}).implement(({ commits }) => {
  const features: string[] = [];
  const fixes: string[] = [];
  const other: string[] = [];
  for (const { hash, message } of commits) {
    const [title = message, ...rest] = message.split("\n");
    const line = `${title.replace(/^(feat|fix)(\([^)]*\))?!?:\s*/, "")} (${hash.slice(0, 7)})`;
    if (/^feat(\(|:|!)/.test(title)) features.push(line);
    else if (/^fix(\(|:|!)/.test(title)) fixes.push(line);
    else other.push(line);
    void rest;
  }
  const text = commits.map((c) => c.message.replace(/^\w+(\([^)]*\))?!?:\s*/, "")).join(". ");
  return { features, fixes, other, text };
});

export const draftNotes = defineContract({
  id: "draftNotes",
  description: "Writes release notes; on a second try it addresses the review's remarks.",
  input: z.object({
    version: z.string(),
    features: z.array(z.string()),
    fixes: z.array(z.string()),
    highlights: z.string(),
    feedback: z.array(z.string()).optional(),
  }),
  output: z.object({ notes: z.string(), attempt: z.number().int().min(1) }),
}).implement(({ version, features, fixes, highlights, feedback }, ctx) => {
  const sections = [`# ${version}`];
  // The first draft leaves the summary out; the review asks for it.
  if (feedback?.some((f) => f.includes("summary"))) sections.push("", highlights);
  if (features.length) sections.push("", "## Features", ...features.map((f) => `- ${f}`));
  if (fixes.length) sections.push("", "## Fixes", ...fixes.map((f) => `- ${f}`));
  return { notes: sections.join("\n"), attempt: ctx.attempt };
});

export const review = defineContract({
  id: "review",
  description: "Checks the notes against the house rules.",
  input: z.object({ notes: z.string(), features: z.array(z.string()) }),
  output: z.object({ verdict: z.enum(["approve", "revise"]), remarks: z.array(z.string()) }),
}).implement(({ notes, features }) => {
  const remarks: string[] = [];
  const lines = notes.split("\n");
  if (!lines.some((l) => l.length > 0 && !l.startsWith("#") && !l.startsWith("-"))) remarks.push("add a one-paragraph summary");
  for (const feature of features) if (!notes.includes(feature)) remarks.push(`mention ${feature}`);
  return { verdict: remarks.length === 0 ? "approve" : "revise", remarks };
});

export const publish = defineContract({
  id: "publish",
  description: "Produces the final notes, with open remarks appended when the review never approved.",
  input: z.object({ notes: z.string(), remarks: z.array(z.string()) }),
  output: z.object({ markdown: z.string(), approved: z.boolean() }),
}).implement(({ notes, remarks }) => ({
  markdown: remarks.length ? `${notes}\n\n> Open review remarks: ${remarks.join("; ")}` : notes,
  approved: remarks.length === 0,
}));

export const releaseNotesGraph = createGraph({
  id: "release-notes",
  description: "Release notes from a list of commits, reviewed before they are published.",
  input: z.object({ version: z.string().regex(/^v?\d+\.\d+\.\d+/), commits: z.array(Commit).min(1) }),
  output: z.object({ markdown: z.string(), approved: z.boolean(), keywords: z.array(z.string()) }),
})
  .then(groupCommits, (input) => ({ commits: input.commits }))
  // The text-digest graph is one block here: its inside is not visible, only its contract.
  .then(digestGraph.as("digest"), (_, { groupCommits }) => ({ text: groupCommits.text, maxSentences: 2 }))
  .then(draftNotes, (input, { groupCommits, digest }) => ({
    version: input.version,
    features: groupCommits.features,
    fixes: groupCommits.fixes,
    highlights: digest.summary,
  }))
  .then(review, (_, { draftNotes, groupCommits }) => ({ notes: draftNotes.notes, features: groupCommits.features }))
  .add(publish, (_, { draftNotes, review }) => ({ notes: draftNotes.notes, remarks: review.remarks }))
  // The loop: `revise` goes back to drafting at most 3 times; then the notes are published anyway.
  .route("review", "verdict", {
    approve: "publish",
    revise: { to: "draftNotes", max: 3, onExhausted: "publish" },
  })
  // draftNotes runs before review has ever run, so the feedback is maybe(): absent on the first draft.
  .bind("draftNotes", (input, { groupCommits, digest, review }) => ({
    version: input.version,
    features: groupCommits.features,
    fixes: groupCommits.fixes,
    highlights: digest.summary,
    feedback: maybe(review.remarks),
  }))
  .output((_, { publish, digest }) => ({
    markdown: publish.markdown,
    approved: publish.approved,
    keywords: digest.keywords,
  }))
  .build();
