import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_ERROR_CODES } from "../src/index.js";

// docs/errors.md lists the API's error codes exactly as API_ERROR_CODES does, and the sources use no other.

describe("the HTTP API's error codes", () => {
  it("are the table in docs/errors.md", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("<!-- server-codes:start -->"), doc.indexOf("<!-- server-codes:end -->"));
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(documented).toEqual(Object.entries(API_ERROR_CODES).map(([code, { status }]) => [code, status]));
  });

  it("are the only codes the sources answer with", () => {
    const dir = new URL("../src/", import.meta.url);
    const text = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(new URL(f, dir), "utf8"))
      .join("\n");
    const used = new Set([...text.matchAll(/ApiError\(\d+, "([a-z_]+)"/g), ...text.matchAll(/\berror: "([a-z_]+)"/g), ...text.matchAll(/json\(c, 40[13], "([a-z_]+)"/g)].map((m) => m[1] as string));
    const known = new Set(Object.keys(API_ERROR_CODES));
    expect([...used].filter((code) => !known.has(code))).toEqual([]);
    expect(used.size).toBeGreaterThan(20);
  });
});
