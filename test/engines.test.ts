import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

// The Node.js decision (docs/getting-started.md#node-versions): the packages run on Node 20.11+,
// so nothing they install may declare more (npm would print EBADENGINE, as AI SDK 7 did: it
// declares Node >= 22); developing this repository needs 20.19+, what vitest 4 (vite 8) declares.
// The lockfile records each package's `engines`, exactly what npm checks when it installs it.
const root = fileURLToPath(new URL("..", import.meta.url));
interface Locked {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly link?: boolean;
  readonly resolved?: string;
}
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, "utf8")) as { packages: Record<string, Locked> };
const PACKAGES = ["spec", "core", "nodes", "server", "cli"];
const DEVELOPMENT_MINIMUM = "20.19.0";

/** Where npm resolves `name` from the package at `from`: the nearest node_modules up the tree. */
function resolveFrom(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (dir === "") return undefined;
    const up = dir.lastIndexOf("/node_modules/");
    dir = up >= 0 ? dir.slice(0, up) : "";
  }
}

/** The packages the five install (their dependencies, transitively; not dev or peer dependencies). */
function runtimeClosure(): Set<string> {
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const entry = lock.packages[key] as Locked;
    if (entry.link && entry.resolved) return visit(entry.resolved);
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveFrom(key, dep);
      if (found) visit(found);
    }
  };
  for (const p of PACKAGES) visit(`packages/${p}`);
  return seen;
}

const nodeRange = (entry: Locked) => (entry.engines && !Array.isArray(entry.engines) ? (entry.engines as { node?: string }).node : undefined);
const refusing = (keys: Iterable<string>, version: string) =>
  [...keys].flatMap((key) => {
    const range = nodeRange(lock.packages[key] as Locked);
    return range !== undefined && !semver.satisfies(version, range) ? [`${key}@${lock.packages[key]?.version} declares node ${range}`] : [];
  });

describe("Node.js versions", () => {
  const declared = (JSON.parse(readFileSync(`${root}packages/core/package.json`, "utf8")) as { engines: { node: string } }).engines.node;
  const minimum = semver.minVersion(declared)?.version as string;

  it("the packages declare Node 20.11 or newer", () => {
    expect(declared).toBe(">=20.11");
    expect(minimum).toBe("20.11.0");
  });

  it("nothing the packages install declares more than their own minimum (no EBADENGINE for users on Node 20.11)", () => {
    const closure = runtimeClosure();
    expect(closure.size).toBeGreaterThan(100);
    expect(refusing(closure, minimum)).toEqual([]);
    // The AI SDK the nodes package talks to is the Node 20 one (specification v3, AI SDK 6).
    expect([...closure].filter((k) => k.endsWith("node_modules/ai") || k.endsWith("/@ai-sdk/provider")).map((k) => `${k}@${lock.packages[k]?.version}`)).toEqual([
      "packages/nodes/node_modules/@ai-sdk/provider@3.0.19",
    ]);
  });

  it(`every package of the repository, dev tools included, accepts Node ${DEVELOPMENT_MINIMUM} and this Node (npm ci prints no EBADENGINE)`, () => {
    const all = Object.keys(lock.packages).filter((k) => k !== "");
    expect(refusing(all, DEVELOPMENT_MINIMUM)).toEqual([]);
    expect(refusing(all, process.versions.node)).toEqual([]);
  });
});
