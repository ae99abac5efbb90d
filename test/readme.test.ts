import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The README opens with exactly two commands: install and run the main job, and run every test.
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");

describe("README", () => {
  it("opens with the two commands, and they are scripts that exist", () => {
    const [title, , fence, first, second, close] = readme.split("\n");
    expect(title).toBe("# Blockwork");
    expect(fence).toBe("```bash");
    expect(close).toBe("```");
    expect(first?.split("#")[0]?.trim()).toBe("npm ci && npm run main");
    expect(second?.split("#")[0]?.trim()).toBe("npm test");
    const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["main", "test"]));
  });
});
