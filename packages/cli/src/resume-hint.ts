// The resume hint a suspended run prints: a command that works when pasted (with --store, and
// data shaped like the block's resume schema), and the schema itself.
import type { GraphDef, JsonSchema, JsonValue, NodeDef } from "@blockwork/spec";

/**
 * The resume schema of the block at `path` (`approve`, `review/approve`, `map/3`, `inner@2/b`) in
 * `def`, or undefined when the path leads nowhere or the block declares none.
 */
export function resumeSchemaAt(def: GraphDef, path: string): JsonSchema | undefined {
  let graph: GraphDef | undefined = def;
  let node: NodeDef | undefined;
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) {
    if (graph === undefined) return undefined;
    const id = (segments[i] as string).replace(/@\d+$/, "");
    node = graph.nodes.find((n) => n.id === id);
    if (node === undefined) return undefined;
    if (node.kind === "map") {
      // The next segment is the item's index.
      i++;
      node = node.item;
    }
    graph = node.kind === "graph" ? node.graph : undefined;
  }
  return node?.contract.resume;
}

/**
 * A small JSON value that satisfies simple schemas (objects of required fields, strings, numbers,
 * booleans, enums, consts, arrays): a starting point to edit. Undefined when the schema is not that
 * simple.
 */
function skeletonOf(schema: JsonSchema, depth = 0): JsonValue | undefined {
  if (typeof schema === "boolean" || depth > 6) return schema === true ? null : undefined;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s["const"] as JsonValue;
  if (Array.isArray(s["enum"]) && s["enum"].length > 0) return s["enum"][0] as JsonValue;
  if ("default" in s) return s["default"] as JsonValue;
  const type = Array.isArray(s["type"]) ? (s["type"] as unknown[])[0] : s["type"];
  switch (type) {
    case "object": {
      const properties = (s["properties"] ?? {}) as Record<string, JsonSchema>;
      const required = Array.isArray(s["required"]) ? (s["required"] as string[]) : [];
      const out: Record<string, JsonValue> = {};
      for (const key of required) {
        const value = properties[key] === undefined ? undefined : skeletonOf(properties[key], depth + 1);
        if (value === undefined) return undefined;
        out[key] = value;
      }
      return out;
    }
    case "string":
      return typeof s["minLength"] === "number" && s["minLength"] > 0 ? "x".repeat(s["minLength"]) : s["format"] === undefined && s["pattern"] === undefined ? "" : undefined;
    case "number":
    case "integer":
      return typeof s["minimum"] === "number" ? s["minimum"] : typeof s["exclusiveMinimum"] === "number" ? undefined : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    case "array":
      return typeof s["minItems"] === "number" && s["minItems"] > 0 ? undefined : [];
    default:
      return undefined;
  }
}

/** `text` quoted for a POSIX shell. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `--store` part of a pasted command: the argument as given, but a connection string with a
 * password is not echoed.
 */
function storePart(storeArg: string | undefined): string {
  if (storeArg === undefined) return "";
  if (/^postgres(?:ql)?:\/\/[^/@]*:[^/@]*@/.test(storeArg)) return " --store <the connection string>";
  return ` --store ${shellQuote(storeArg)}`;
}

/**
 * The lines that say how to resume one suspended block: the command to paste, and the resume
 * schema it must satisfy.
 */
export function resumeHint(runId: string, suspensionId: string, schema: JsonSchema | undefined, storeArg: string | undefined, label = "Resume with"): string[] {
  if (storeArg === "memory") return [`(the run was kept in memory and is gone when this process ends: run it with --store <file.sqlite> to resume it later)`];
  const sample = schema === undefined ? undefined : skeletonOf(schema);
  const data = sample === undefined ? "'<JSON for its resume schema>'" : shellQuote(JSON.stringify(sample));
  const lines = [`${label}: blockwork resume ${runId} --block ${suspensionId} --data ${data}${storePart(storeArg)}`];
  if (schema !== undefined) {
    const { $schema: _drop, ...shown } = typeof schema === "object" ? schema : { $schema: undefined };
    const text = JSON.stringify(typeof schema === "object" ? shown : schema);
    lines.push(`  its resume schema: ${text.length > 600 ? `${text.slice(0, 597)}...` : text}`);
    if (sample !== undefined) lines.push("  (the --data above is a placeholder that satisfies the schema: edit it to your answer)");
  }
  return lines;
}
