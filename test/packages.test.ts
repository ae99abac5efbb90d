import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// What `npm publish` needs from each package.json, and what a project installing the package needs:
// checked here so that it cannot rot silently (test/install.test.ts installs the packed tarballs).

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["spec", "core", "nodes", "server", "cli"];
const read = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8")) as Record<string, unknown>;
const monorepo = read("package.json");

describe.each(PACKAGES)("packages/%s/package.json", (name) => {
  const pkg = read(`packages/${name}/package.json`);
  it("names, licenses and locates the package as the repository does", () => {
    expect(pkg["name"]).toBe(`@blockwork/${name}`);
    expect(pkg["license"]).toBe(monorepo["license"]);
    expect(existsSync(join(root, "packages", name, "LICENSE"))).toBe(true);
    expect(existsSync(join(root, "packages", name, "README.md"))).toBe(true);
    expect(pkg["repository"]).toEqual({ ...(monorepo["repository"] as object), directory: `packages/${name}` });
    expect(pkg["engines"]).toEqual(monorepo["engines"]);
    expect(pkg["type"]).toBe("module");
    expect(pkg["publishConfig"]).toEqual({ access: "public" });
    expect(typeof pkg["description"]).toBe("string");
  });

  it("exports built JavaScript with its types, and ships them", () => {
    expect(pkg["types"]).toBe("./dist/index.d.ts");
    const exports = pkg["exports"] as Record<string, unknown>;
    for (const [path, target] of Object.entries(exports)) {
      if (target === null || typeof target === "string") continue;
      const t = target as Record<string, string>;
      expect(Object.keys(t), path).toEqual(["@blockwork/source", "types", "import"]);
      expect(t["types"], path).toMatch(/^\.\/dist\/.*\.d\.ts$/);
      expect(t["import"], path).toBe((t["types"] as string).replace(/\.d\.ts$/, ".js"));
    }
    expect(pkg["files"]).toEqual(expect.arrayContaining(["README.md", "LICENSE", "dist"]));
  });

  it("depends only on exact versions, its siblings at its own version", () => {
    for (const [dep, version] of Object.entries((pkg["dependencies"] ?? {}) as Record<string, string>)) {
      expect(version, dep).toMatch(/^\d+\.\d+\.\d+$/);
      if (dep.startsWith("@blockwork/")) expect(version, dep).toBe(pkg["version"]);
    }
  });
});

describe("the blockwork command", () => {
  it("is a bin path npm publish keeps (no leading ./: npm drops it otherwise)", () => {
    expect(read("packages/cli/package.json")["bin"]).toEqual({ blockwork: "bin/blockwork.js" });
  });
});
