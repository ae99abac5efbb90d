import type { BindingDef, JsonValue } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";

declare const bindingType: unique symbol;

/**
 * A value source of type `T` in a binding: a reference to the graph input or to a block output,
 * or a combination of them (`firstOf`). Phantom-typed: the type exists only for the compiler.
 */
export interface Binding<T> {
  readonly [bindingType]: T;
}

/**
 * A navigable reference: `ref.field.sub` is a reference to that field. Bindings functions receive
 * refs to the graph input and to every block output.
 */
export type Ref<T> = Binding<T> &
  (T extends readonly unknown[]
    ? { readonly [I in number]: Ref<T[number]> }
    : T extends object
      ? { readonly [K in keyof T]-?: Ref<T[K]> }
      : unknown);

type JsonPrimitive = string | number | boolean | null;

/**
 * What may stand for a value of type `T` in a binding: a ref or binding of a compatible type, a
 * literal, or an object whose fields are themselves bindings.
 */
export type BindingFor<T> =
  | Binding<T>
  | (T extends JsonPrimitive | undefined ? T : never)
  | (T extends readonly unknown[] ? Readonly<T> : T extends object ? { readonly [K in keyof T]: BindingFor<T[K]> } : never);

const REF = Symbol.for("blockwork.ref");
const FIRST = Symbol.for("blockwork.firstOf");

type RefRoot = { readonly kind: "input" } | { readonly kind: "output"; readonly node: string };

interface RefData {
  readonly root: RefRoot;
  readonly path: readonly string[];
  readonly optional: boolean;
}

/** Creates a recording proxy: property access builds a path; nothing is evaluated. */
export function createRef(root: RefRoot, path: readonly string[] = [], optional = false): Ref<unknown> {
  const data: RefData = { root, path, optional };
  return new Proxy(Object.create(null) as object, {
    get(_target, prop) {
      if (prop === REF) return data;
      // A template string, `+`, a comparison or String(ref) asks the ref for a primitive: it has no
      // value at build time, so say so instead of JavaScript's "Cannot convert object to primitive".
      if (prop === Symbol.toPrimitive) return () => usedAsValue(data);
      // `then` would make the ref look like a promise to `await`; never treat it as a field.
      if (typeof prop === "symbol" || prop === "then") return undefined;
      return createRef(root, [...path, prop], optional);
    },
    set() {
      throw new BlockworkError("invalid_binding", "Refs are read-only: a binding function must return its bindings, not assign to refs.");
    },
    has(_target, prop) {
      return prop === REF;
    },
    ownKeys() {
      return [];
    },
  }) as Ref<unknown>;
}

function usedAsValue(data: RefData): never {
  const shown = `${data.root.kind === "input" ? "input" : `blocks.${data.root.node}`}${data.path.map((p) => `.${p}`).join("")}`;
  throw new BlockworkError(
    "invalid_binding",
    `The ref ${shown} was used as a value (in a template string, arithmetic, a comparison or String()). A bindings function runs once, at build time, to record where each field comes from: refs have no values then. Bind the ref itself (field: ${shown}), or compute the value in a block.`,
    { ref: shown },
  );
}

/** The refs object a bindings function receives for the outputs of the given blocks. */
export function createBlockRefs(): Record<string, Ref<unknown>> {
  return new Proxy(Object.create(null) as Record<string, Ref<unknown>>, {
    get(_target, prop) {
      if (typeof prop === "symbol" || prop === "then") return undefined;
      return createRef({ kind: "output", node: prop });
    },
  });
}

function refData(value: unknown): RefData | undefined {
  if ((typeof value === "object" || typeof value === "function") && value !== null && REF in value) {
    return (value as Record<symbol, RefData>)[REF];
  }
  return undefined;
}

/**
 * Declares that the referenced block may not have run before the reader (for example the other
 * side of a loop); the value is then absent, so the target field must be optional.
 *
 * @example
 * .bind("draft", (input, { review }) => ({ topic: input.topic, feedback: maybe(review.notes) }))
 */
export function maybe<T>(ref: Ref<T>): Ref<T | undefined> {
  const data = refData(ref);
  if (data?.root.kind !== "output") {
    throw new BlockworkError("invalid_binding", "maybe() takes a ref to a block output, such as `blocks.review.notes`.");
  }
  return createRef(data.root, data.path, true) as Ref<T | undefined>;
}

type BindingValue<B> = B extends Binding<infer T> ? T : B;
type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;
/** The alternatives' values; `undefined` only when the last alternative may be absent. */
type FirstValue<$Alts extends readonly unknown[]> =
  | Exclude<BindingValue<$Alts[number]>, undefined>
  | (undefined extends BindingValue<Last<$Alts>> ? undefined : never);

/**
 * The first alternative whose source ran: for merging the branches of a route. A trailing literal
 * serves as a default.
 *
 * @example
 * .output((_, { billing, tech }) => ({ reply: firstOf(billing.reply, tech.reply) }))
 */
export function firstOf<const $Alts extends readonly [Binding<unknown>, ...(Binding<unknown> | JsonPrimitive)[]]>(
  ...alternatives: $Alts
): Binding<FirstValue<$Alts>> {
  return { [FIRST]: alternatives } as unknown as Binding<FirstValue<$Alts>>;
}

/**
 * Turns what a bindings function returned into plain data.
 *
 * A plain object at the top becomes an `object` binding (so each field is visible to the checker);
 * nested objects without refs become literals.
 */
export function toBindingDef(value: unknown, where: string): BindingDef {
  return convert(value, where, true);
}

function convert(value: unknown, where: string, top: boolean): BindingDef {
  const ref = refData(value);
  if (ref) {
    if (ref.root.kind === "input") return { kind: "input", path: ref.path };
    return { kind: "output", node: ref.root.node, path: ref.path, ...(ref.optional ? { optional: true } : {}) };
  }
  if (typeof value === "object" && value !== null && FIRST in value) {
    const alternatives = (value as Record<symbol, unknown[]>)[FIRST] ?? [];
    return { kind: "first", of: alternatives.map((alt, i) => convert(alt, `${where} (firstOf #${i + 1})`, false)) };
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return { kind: "literal", value };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw bad(where, `the number ${value} is not a JSON value`);
    return { kind: "literal", value };
  }
  if (Array.isArray(value)) {
    if (containsRef(value)) throw bad(where, "an array holds a ref; bind the whole array from one output instead");
    return { kind: "literal", value: toJson(value, where) };
  }
  if (isPlainObject(value)) {
    if (!top && !containsRef(value)) return { kind: "literal", value: toJson(value, where) };
    const fields: Record<string, BindingDef> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined) continue;
      fields[key] = convert(field, `${where}.${key}`, false);
    }
    return { kind: "object", fields };
  }
  throw bad(where, `${describe(value)} is neither a ref, a JSON literal nor an object of them`);
}

function containsRef(value: unknown): boolean {
  if (refData(value) || (typeof value === "object" && value !== null && FIRST in value)) return true;
  if (Array.isArray(value)) return value.some(containsRef);
  if (isPlainObject(value)) return Object.values(value).some(containsRef);
  return false;
}

function toJson(value: unknown, where: string): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((v, i) => toJson(v, `${where}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v, `${where}.${k}`);
    return out;
  }
  throw bad(where, `${describe(value)} is not a JSON value`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) return `an instance of ${value.constructor?.name ?? "an unknown class"}`;
  return `the ${typeof value} ${String(value)}`;
}

function bad(where: string, what: string): BlockworkError {
  return new BlockworkError("invalid_binding", `Binding ${where}: ${what}.`, { where });
}
