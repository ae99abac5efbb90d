import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatZodIssues, zodIssueTexts } from "../src/index.js";

describe("formatZodIssues", () => {
  const schema = z.object({ count: z.number(), tags: z.array(z.string()), deep: z.object({ a: z.boolean() }) });
  const error = schema.safeParse({ count: "x", tags: [1, 2], deep: { a: 1 } }).error as z.ZodError;

  it("writes each issue as its dotted path and message, joined with '; '", () => {
    const texts = zodIssueTexts(error);
    expect(texts).toHaveLength(4);
    expect(texts[0]).toMatch(/^count: /);
    expect(texts).toContainEqual(expect.stringMatching(/^tags\.1: /));
    expect(texts).toContainEqual(expect.stringMatching(/^deep\.a: /));
    expect(formatZodIssues(error)).toBe(texts.join("; "));
  });

  it("keeps at most `max` issues and names the root as asked", () => {
    expect(zodIssueTexts(error, { max: 2 })).toHaveLength(2);
    const root = z.string().safeParse(3).error as z.ZodError;
    expect(formatZodIssues(root)).toMatch(/^\(value\): /);
    expect(formatZodIssues(root, { root: "(input)" })).toMatch(/^\(input\): /);
  });

  it("writes symbol keys instead of throwing", () => {
    const key = Symbol("k");
    expect(formatZodIssues({ issues: [{ path: [key, 0], message: "bad" }] })).toBe("Symbol(k).0: bad");
  });
});
