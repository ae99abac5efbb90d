import { z } from "zod";
import { defineContract } from "@blockwork/spec";

// Small blocks for the deliberately broken graphs next to this file.

export const classify = defineContract({
  id: "classify",
  input: z.object({ text: z.string() }),
  output: z.object({ kind: z.enum(["billing", "tech"]), urgent: z.boolean() }),
}).implement(({ text }) => ({ kind: text.includes("invoice") ? "billing" : "tech", urgent: text.includes("!") }));

export const echo = defineContract({
  id: "echo",
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
}).implement(({ text }) => ({ text }));

export const TextIn = z.object({ text: z.string() });
export const TextOut = z.object({ text: z.string() });
