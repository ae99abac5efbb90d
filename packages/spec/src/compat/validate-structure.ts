/**
 * The array and object keywords of the concrete validator.
 */
import type { JsonValue } from "../def/graph-def.js";
import { childLoc, regex, type Ctx, type Loc } from "./context.js";
import { usesPrefixItems } from "./draft.js";
import { canonicalJson } from "../def/version.js";
import { fail, step, unsure, Verdict, type Path, type Trail, type VResult } from "./validate-result.js";

type Schema = { readonly [k: string]: unknown };

/**
 * Validates a value against a sub-schema: the caller's `validateLoc`, passed in so that this module
 * does not import the module that imports it.
 */
export type ValidateChild = (ctx: Ctx, value: JsonValue, loc: Loc, path: Path, trail: Trail) => VResult;

interface At {
  readonly loc: Loc;
  readonly path: Path;
  readonly trail: Trail;
  readonly child: ValidateChild;
}

export function validateArray(ctx: Ctx, arr: readonly JsonValue[], at: At): VResult {
  const { loc, path } = at;
  const s = loc.schema as Schema;
  const minItems = s["minItems"];
  const maxItems = s["maxItems"];
  if (typeof minItems === "number" && arr.length < minItems) return fail(path, `minItems ${minItems}`);
  if (typeof maxItems === "number" && arr.length > maxItems) return fail(path, `maxItems ${maxItems}`);
  const verdict = new Verdict();
  if (verdict.add(checkItems(ctx, arr, at))) return verdict.result;
  if (s["uniqueItems"] === true) {
    const seen = new Set<string>();
    for (let i = 0; i < arr.length; i++) {
      const key = canonicalJson(arr[i]);
      if (seen.has(key)) return fail(step(path, i), "uniqueItems");
      seen.add(key);
    }
  }
  if ("contains" in s && verdict.add(checkContains(ctx, arr, at))) return verdict.result;
  return verdict.result;
}

function checkItems(ctx: Ctx, arr: readonly JsonValue[], { loc, path, child }: At): VResult {
  const s = loc.schema as Schema;
  const verdict = new Verdict();
  let prefix: readonly unknown[] = [];
  let rest: unknown;
  if (usesPrefixItems(loc.doc.draft)) {
    if (Array.isArray(s["prefixItems"])) prefix = s["prefixItems"];
    if (Array.isArray(s["items"])) verdict.add(unsure(path, "array-form items is not valid in draft-2020-12"));
    else rest = s["items"];
    if ("additionalItems" in s && arr.length > prefix.length) {
      verdict.add(unsure(path, "additionalItems is not part of draft-2020-12, but some validators apply it"));
    }
  } else {
    if (Array.isArray(s["items"])) {
      prefix = s["items"];
      rest = s["additionalItems"];
    } else rest = s["items"];
    if ("prefixItems" in s && arr.length > 0) {
      verdict.add(unsure(path, `prefixItems is not part of ${loc.doc.draft}, but some validators apply it`));
    }
  }
  const restLoc = rest === undefined ? null : childLoc(ctx, loc, rest);
  for (let i = 0; i < arr.length; i++) {
    const itemLoc = i < prefix.length ? childLoc(ctx, loc, prefix[i]) : restLoc;
    if (itemLoc === null) continue;
    if (verdict.add(child(ctx, arr[i] as JsonValue, itemLoc, step(path, i), null))) return verdict.result;
  }
  return verdict.result;
}

function checkContains(ctx: Ctx, arr: readonly JsonValue[], { loc, path, child }: At): VResult {
  const s = loc.schema as Schema;
  const modern = loc.doc.draft === "draft-2019-09" || loc.doc.draft === "draft-2020-12";
  const verdict = new Verdict();
  if (!modern && ("minContains" in s || "maxContains" in s)) {
    verdict.add(unsure(path, `minContains/maxContains are not part of ${loc.doc.draft}`));
  }
  const min = modern && typeof s["minContains"] === "number" ? s["minContains"] : 1;
  const max = modern && typeof s["maxContains"] === "number" ? s["maxContains"] : Infinity;
  const inner = childLoc(ctx, loc, s["contains"]);
  let matched = 0;
  let unknown = 0;
  let firstUnknown: VResult | null = null;
  for (let i = 0; i < arr.length; i++) {
    const r = child(ctx, arr[i] as JsonValue, inner, step(path, i), null);
    if (r.valid === true) matched++;
    else if (r.valid === "unknown") [unknown, firstUnknown] = [unknown + 1, firstUnknown ?? r];
  }
  if (matched > max) return fail(path, `maxContains ${max}`);
  if (matched + unknown < min) return fail(path, min === 1 ? "an item matching its contains schema" : `minContains ${min}`);
  if (firstUnknown !== null && (matched < min || matched + unknown > max)) verdict.add(firstUnknown);
  return verdict.result;
}

export function validateObject(
  ctx: Ctx,
  obj: { readonly [k: string]: JsonValue },
  at: At,
): VResult {
  const { loc, path, child } = at;
  const s = loc.schema as Schema;
  const keys = Object.keys(obj);
  const minP = s["minProperties"];
  const maxP = s["maxProperties"];
  if (typeof minP === "number" && keys.length < minP) return fail(path, `minProperties ${minP}`);
  if (typeof maxP === "number" && keys.length > maxP) return fail(path, `maxProperties ${maxP}`);
  if (Array.isArray(s["required"])) {
    for (const key of s["required"]) {
      if (typeof key === "string" && !Object.hasOwn(obj, key)) return fail(step(path, key), `property "${key}"`);
    }
  }
  const verdict = new Verdict();
  if (verdict.add(checkProperties(ctx, obj, keys, at))) return verdict.result;
  if ("propertyNames" in s) {
    const names = childLoc(ctx, loc, s["propertyNames"]);
    for (const key of keys) {
      const r = child(ctx, key, names, step(path, key), null);
      const named: VResult = r.valid === false ? fail(step(path, key), `propertyNames (${r.reason})`) : r;
      if (verdict.add(named)) return verdict.result;
    }
  }
  if (verdict.add(checkDependencies(ctx, obj, at))) return verdict.result;
  return verdict.result;
}

function checkProperties(ctx: Ctx, obj: { readonly [k: string]: JsonValue }, keys: readonly string[], { loc, path, child }: At): VResult {
  const s = loc.schema as Schema;
  const props = isMap(s["properties"]) ? s["properties"] : {};
  const patterns = isMap(s["patternProperties"]) ? Object.entries(s["patternProperties"]) : [];
  const additional = s["additionalProperties"];
  const verdict = new Verdict();
  for (const key of keys) {
    const at = step(path, key);
    const value = obj[key] as JsonValue;
    let matched = false;
    if (Object.hasOwn(props, key)) {
      matched = true;
      if (verdict.add(child(ctx, value, childLoc(ctx, loc, props[key]), at, null))) return verdict.result;
    }
    for (const [pattern, schema] of patterns) {
      const re = regex(ctx, pattern);
      if (re === null) {
        verdict.add(unsure(at, `patternProperties ${JSON.stringify(pattern)} is not a valid regular expression`));
        matched = true;
        continue;
      }
      if (!re.test(key)) continue;
      matched = true;
      if (verdict.add(child(ctx, value, childLoc(ctx, loc, schema), at, null))) return verdict.result;
    }
    if (!matched && additional !== undefined) {
      if (additional === false) return fail(at, `no property "${key}" (additionalProperties is false)`);
      if (verdict.add(child(ctx, value, childLoc(ctx, loc, additional), at, null))) return verdict.result;
    }
  }
  return verdict.result;
}

function checkDependencies(
  ctx: Ctx,
  obj: { readonly [k: string]: JsonValue },
  { loc, path, trail, child }: At,
): VResult {
  const s = loc.schema as Schema;
  const modern = loc.doc.draft === "draft-2019-09" || loc.doc.draft === "draft-2020-12";
  const verdict = new Verdict();
  const entries: [string, unknown, string][] = [];
  for (const key of ["dependencies", "dependentRequired", "dependentSchemas"]) {
    const value = s[key];
    if (!isMap(value)) continue;
    if (modern === (key === "dependencies")) {
      verdict.add(unsure(path, `${key} is not part of ${loc.doc.draft}, but some validators apply it`));
      continue;
    }
    for (const [k, v] of Object.entries(value)) entries.push([k, v, key]);
  }
  for (const [trigger, dep, key] of entries) {
    if (!Object.hasOwn(obj, trigger)) continue;
    if (Array.isArray(dep)) {
      for (const needed of dep) {
        if (typeof needed === "string" && !Object.hasOwn(obj, needed)) {
          return fail(step(path, needed), `${key}: "${trigger}" requires property "${needed}"`);
        }
      }
    } else if (verdict.add(child(ctx, obj, childLoc(ctx, loc, dep), path, trail))) return verdict.result;
  }
  return verdict.result;
}

function isMap(value: unknown): value is { readonly [k: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
