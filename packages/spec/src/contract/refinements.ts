import { z } from "zod";

/**
 * What zod's JSON Schema converter loses, and how a contract author declares it back.
 *
 * A refinement (`.refine`, `.superRefine`, `.check`), a custom schema, a transform, a pipe read in
 * input mode, a preprocess or an overwrite followed by checks all constrain values in ways JSON
 * Schema cannot see. Their JSON Schema is marked opaque (with the reason, naming the construct) so
 * that compatibility answers "unknown" instead of "fits"; a fingerprint of the code behind the
 * construct goes along, so that the contract diff sees when that code changes.
 */

/** Meta keys a contract author declares the meaning of a schema's refinements with (see {@link declaredFragment}). */
const DECLARE_KEYS = { both: "jsonSchema", input: "inputJsonSchema", output: "outputJsonSchema" } as const;

/** The keyword that carries the fingerprint of the code an opaque schema stands for. */
export const FINGERPRINT_KEYWORD = "x-blockwork-fingerprint";

interface CheckInternals {
  readonly _zod: { readonly def: { readonly check: string; readonly fn?: unknown; readonly tx?: unknown } };
}

interface SchemaInternals {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly checks?: readonly CheckInternals[];
      readonly fn?: unknown;
      readonly transform?: unknown;
      readonly in?: SchemaInternals;
      readonly out?: SchemaInternals;
    };
    readonly parent?: SchemaInternals;
  };
}

/** Why a schema's JSON Schema loses a constraint, with the fingerprint of what it loses; undefined when it loses none. */
export interface Loss {
  readonly reason: string;
  readonly fingerprint: string;
}

const HOW_TO_DECLARE = "declare what it means with .meta({ jsonSchema: { ... } }) to get a decided verdict";

/** The constraint a schema's own construct adds that its JSON Schema (in mode `io`) does not carry. */
export function lostConstraint(schema: unknown, io: "input" | "output"): Loss | undefined {
  const s = schema as SchemaInternals;
  const def = s._zod.def;
  const checks = def.checks ?? [];
  const custom = checks.filter((c) => c._zod.def.check === "custom");
  if (custom.length > 0) {
    return {
      reason: `a zod refinement (.refine(), .superRefine() or .check()) on a ${def.type} schema has no JSON Schema; ${HOW_TO_DECLARE}`,
      fingerprint: fingerprint(custom.map((c) => c._zod.def.fn)),
    };
  }
  const overwrite = checks.findIndex((c) => c._zod.def.check === "overwrite");
  if (overwrite >= 0 && checks.length > 1) {
    return {
      reason: `a zod overwrite (.trim(), .toLowerCase(), .toUpperCase(), .normalize() or .overwrite()) changes the ${def.type} between its other checks, which JSON Schema cannot express; ${HOW_TO_DECLARE}`,
      fingerprint: fingerprint(checks.map((c) => c._zod.def.tx ?? c._zod.def.check)),
    };
  }
  if (io === "input" && def.type === "pipe") {
    const inner = def.in?._zod.def;
    const what = inner?.type === "transform" ? "a zod preprocess transforms the value before validating it" : def.out?._zod.def.type === "transform" ? "a zod transform decides in its function which values it accepts" : "a zod pipe (.pipe() or a codec) also validates the value against its second schema";
    return {
      reason: `${what}, which input-mode JSON Schema does not include; declare what it accepts with .meta({ inputJsonSchema: { ... } })`,
      fingerprint: fingerprint([inner?.transform, def.out?._zod.def.transform, describeSchema(def.out, "input")]),
    };
  }
  return undefined;
}

/** The fragment the author declared for this schema in mode `io`, removed from the emitted JSON Schema. */
export function declaredFragment(json: Record<string, unknown>, io: "input" | "output"): unknown[] {
  const both = json[DECLARE_KEYS.both];
  const own = json[io === "input" ? DECLARE_KEYS.input : DECLARE_KEYS.output];
  for (const key of Object.values(DECLARE_KEYS)) delete json[key];
  return [both, own].filter((f) => f !== undefined);
}

/**
 * Whether a declaration made with `.meta()` covers this schema's own construct: it was made on this
 * schema or on one it was derived from with no refinement added since (`.refine()` after `.meta()`
 * adds a check the declaration did not speak for).
 */
export function declarationCovers(schema: unknown): boolean {
  const registry = z.globalRegistry as unknown as { _map?: WeakMap<object, Record<string, unknown>> };
  const own = (x: SchemaInternals): boolean => {
    // `_map` holds a schema's own metadata; `get` would add what it inherits from the schemas it was derived from.
    const meta = registry._map !== undefined ? registry._map.get(x) : z.globalRegistry.get(x as unknown as z.ZodType);
    return meta !== undefined && Object.values(DECLARE_KEYS).some((k) => k in meta);
  };
  const s = schema as SchemaInternals;
  for (let at: SchemaInternals | undefined = s; at !== undefined; at = at._zod.parent) {
    if (!own(at)) continue;
    const declared = new Set(at._zod.def.checks ?? []);
    return (s._zod.def.checks ?? []).every((c) => declared.has(c) || (c._zod.def.check !== "custom" && c._zod.def.check !== "overwrite"));
  }
  return false;
}

function describeSchema(schema: SchemaInternals | undefined, io: "input" | "output"): string {
  if (schema === undefined) return "";
  try {
    return JSON.stringify(z.toJSONSchema(schema as unknown as z.ZodType, { io, unrepresentable: "any" }));
  } catch {
    return "";
  }
}

/**
 * A short, stable fingerprint of code: its source text without whitespace (so a reformatting keeps
 * it), hashed with FNV-1a. Two refinements with the same
 * text but different captured values share it: the diff cannot see such a change.
 */
function fingerprint(parts: readonly unknown[]): string {
  const text = parts.map((p) => (typeof p === "function" ? p.toString() : String(p ?? ""))).join("\u0000").replace(/\s+/g, "");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
