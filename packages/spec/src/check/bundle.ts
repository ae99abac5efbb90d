import type { JsonSchema } from "../def/graph-def.js";
import type { SchemaAt } from "./schema-path.js";

/**
 * Turns schema nodes taken from different documents into one standalone JSON Schema document, so
 * that the compatibility engine can compare them. Each source document that a node needs (because
 * the node has local `$ref`s) is embedded under `$defs`, and those refs are rewritten to point there.
 */
export class SchemaBundle {
  private readonly defs: Record<string, JsonSchema> = {};
  private readonly holders = new Map<object, string>();
  private draft: unknown;

  /** The node, with its local refs rewritten to this bundle's `$defs`. */
  embed(at: SchemaAt): JsonSchema {
    if (typeof at.root === "object" && this.draft === undefined) this.draft = at.root["$schema"];
    if (typeof at.root !== "object" || !hasRefs(at.node)) return at.node;
    let holder = this.holders.get(at.root);
    if (holder === undefined) {
      holder = `__bw${this.holders.size}`;
      this.holders.set(at.root, holder);
      this.defs[holder] = rewrittenRoot(at.root, holder);
    }
    return at.node === at.root ? { $ref: `#/$defs/${holder}` } : rewrite(at.node, holder);
  }

  /** A standalone document for `schema` (whose refs came from `embed`), in the sources' dialect. */
  document(schema: JsonSchema): JsonSchema {
    const draft = this.draft === undefined ? {} : { $schema: this.draft };
    if (this.holders.size === 0) return this.draft === undefined || typeof schema !== "object" ? schema : { ...draft, allOf: [schema] };
    return { ...draft, allOf: [schema], $defs: { ...this.defs } };
  }
}

/**
 * One standalone document for a single node (the common case): the node itself when it has no
 * refs, in the dialect of its document (`$schema` carried over, so draft-04 keywords keep their meaning).
 */
export function standalone(at: SchemaAt): JsonSchema {
  if (at.node === at.root) return at.node;
  const draft = typeof at.root === "object" ? at.root["$schema"] : undefined;
  if (!hasRefs(at.node)) return draft === undefined || typeof at.node !== "object" ? at.node : { $schema: draft, allOf: [at.node] };
  const bundle = new SchemaBundle();
  return bundle.document(bundle.embed(at));
}

// A memo of a pure function over immutable schema objects: which of them contain a `$ref`.
const refScan = new WeakMap<object, boolean>();

function hasRefs(node: unknown): boolean {
  if (typeof node !== "object" || node === null) return false;
  const cached = refScan.get(node);
  if (cached !== undefined) return cached;
  let found = false;
  if (!Array.isArray(node) && typeof (node as Record<string, unknown>)["$ref"] === "string") found = true;
  else for (const value of Object.values(node)) if (hasRefs(value)) { found = true; break; }
  refScan.set(node, found);
  return found;
}

function rewrittenRoot(root: JsonSchema, holder: string): JsonSchema {
  if (typeof root !== "object") return root;
  // The embedded document loses its own identity: `$id` would change how its refs resolve.
  const { $id: _id, id: _draft4Id, $schema: _schema, ...rest } = root as Record<string, unknown>;
  return rewrite(rest as JsonSchema, holder);
}

const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);

function rewrite(node: JsonSchema, holder: string): JsonSchema {
  return rewriteValue(node, holder) as JsonSchema;
}

function rewriteValue(value: unknown, holder: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (!hasRefs(value)) return value;
  if (Array.isArray(value)) return value.map((v) => rewriteValue(v, holder));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "$ref" && typeof v === "string") out[key] = v.startsWith("#") ? `#/$defs/${holder}${v.slice(1)}` : v;
    else if (DATA_KEYWORDS.has(key)) out[key] = v; // values, not schemas: never rewrite inside them
    else out[key] = rewriteValue(v, holder);
  }
  return out;
}
