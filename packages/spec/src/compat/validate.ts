/**
 * The concrete validator: one value against one schema, three-valued.
 *
 * It checks literal bindings and confirms every counterexample before `compat` says `no`, so it
 * must never answer `true` or `false` wrongly: wherever validators legitimately disagree (formats,
 * IEEE vs decimal `multipleOf`, keywords beside `$ref` in old drafts, keywords from another draft)
 * it answers `unknown` with the reason.
 */
import type { JsonValue } from "../def/graph-def.js";
import { childLoc, locKey, regex, resolveRef, spend, type Ctx, type Loc, type NodeSet } from "./context.js";
import { OPAQUE_KEYWORD, refIgnoresSiblings, typeOfValue } from "./draft.js";
import { isJsonObject, jsonEqual, jsonIncludes, preview } from "./json.js";
import { isMultipleOf, isMultipleOfIeee } from "./rational.js";
import { knownValid } from "./string-domain.js";
import { fail, unsure, VALID, Verdict, type Path, type Trail, type VResult } from "./validate-result.js";
import { validateArray, validateObject, type ValidateChild } from "./validate-structure.js";

export type { Path, Trail, VResult } from "./validate-result.js";
export { fail, step, unsure, Verdict } from "./validate-result.js";

const child: ValidateChild = (ctx, value, loc, path, trail) => validateLoc(ctx, value, loc, path, trail);

/** Valid under every schema of the conjunction. */
export function validateNodes(ctx: Ctx, value: JsonValue, nodes: NodeSet): VResult {
  const verdict = new Verdict();
  for (const loc of nodes) if (verdict.add(validateLoc(ctx, value, loc, null, null))) break;
  return verdict.result;
}

function onTrail(trail: Trail, schema: object): boolean {
  for (let t = trail; t !== null; t = t.next) if (t.schema === schema) return true;
  return false;
}

function validateLoc(ctx: Ctx, value: JsonValue, loc: Loc, path: Path, trail: Trail): VResult {
  const s = loc.schema;
  if (s === true) return VALID;
  if (s === false) return fail(path, "no value here (the schema is false)");
  const spent = spend(ctx, "validationBudget");
  if (spent !== null) return unsure(path, spent);
  if (onTrail(trail, s)) return unsure(path, "unguarded recursion (a $ref cycle that does not descend into the value)");
  if (ctx.validationDepth >= ctx.maxDepth * 2) return unsure(path, `the value and its schema nest more than ${ctx.maxDepth * 2} levels deep (limits.depth)`);
  // No try/finally: an exception ends the whole call, and its context with it.
  ctx.validationDepth++;
  const r = validateHere(ctx, value, loc, path, { schema: s, next: trail });
  ctx.validationDepth--;
  return r;
}

function validateHere(ctx: Ctx, value: JsonValue, loc: Loc, path: Path, here: Trail & object): VResult {
  const s = here.schema as Exclude<Loc["schema"], boolean>;
  const ref = s["$ref"];
  if (typeof ref !== "string") return validateKeywords(ctx, value, loc, path, here);
  const target = resolveRef(ctx, loc, ref);
  const byRef = typeof target === "string" ? unsure(path, target) : validateRefTarget(ctx, value, target, path, here);
  if (byRef.valid === false) return byRef;
  const siblings = validateKeywords(ctx, value, loc, path, here);
  if (!refIgnoresSiblings(loc.doc.draft) || siblings.valid === true) {
    return siblings.valid === true ? byRef : byRef.valid === "unknown" && siblings.valid === "unknown" ? byRef : siblings;
  }
  return byRef.valid === true
    ? unsure(path, `${loc.doc.draft} ignores keywords beside $ref, but some validators apply them (${siblings.reason})`)
    : byRef;
}

/**
 * Validates against a `$ref` target, remembering definite answers per value, value path and
 * target: `$ref`s to one definition from many places (a chain of definitions each `anyOf` two
 * refs to the next) are then validated once each, not once per path through the chain. Only
 * `true` and `false` are kept, and they do not depend on the trail (it only ever adds `unknown`s,
 * and three-valued logic is monotone).
 */
function validateRefTarget(ctx: Ctx, value: JsonValue, target: Loc, path: Path, here: Trail): VResult {
  const v = typeof value === "object" && value !== null ? `o${idOf(ctx, value)}` : typeof value === "string" ? (value.length <= 64 ? `s${value}` : null) : `p${String(value)}`;
  if (v === null) return validateLoc(ctx, value, target, path, here);
  const key = `${v}\u0000${path === null ? "" : idOf(ctx, path)}\u0000${locKey(ctx, target)}`;
  const known = ctx.validated.get(key);
  if (known !== undefined) return known;
  const r = validateLoc(ctx, value, target, path, here);
  if (r.valid !== "unknown") ctx.validated.set(key, r);
  return r;
}

function idOf(ctx: Ctx, o: object): number {
  let id = ctx.ids.get(o);
  if (id === undefined) {
    id = ctx.ids.size;
    ctx.ids.set(o, id);
  }
  return id;
}

/** The worse of two results that are not failures: `unknown` beats valid. */
function worse(a: VResult, b: VResult): VResult {
  return a.valid === true ? b : a;
}

// Keyword flags gathered in one pass over the schema's own keys (most schemas have two or three).
const HAS_COMBINATOR = 1;
const HAS_UNSUPPORTED = 2;
const HAS_OPAQUE = 4;

function validateKeywords(ctx: Ctx, value: JsonValue, loc: Loc, path: Path, trail: Trail): VResult {
  const s = loc.schema as { readonly [k: string]: unknown };
  let has = 0;
  for (const key in s) {
    switch (key) {
      case "type": {
        const r = checkType(value, s["type"], path);
        if (r.valid === false) return r;
        break;
      }
      case "const":
        if (!jsonEqual(value, s["const"])) return fail(path, `const ${preview(s["const"])}`);
        break;
      case "enum":
        if (Array.isArray(s["enum"]) && !jsonIncludes(s["enum"], value)) return fail(path, `one of ${preview(s["enum"])}`);
        break;
      case "allOf": case "anyOf": case "oneOf": case "not": case "if":
        has |= HAS_COMBINATOR;
        break;
      case "$dynamicRef": case "$recursiveRef": case "unevaluatedItems": case "unevaluatedProperties":
        has |= HAS_UNSUPPORTED;
        break;
      case OPAQUE_KEYWORD:
        has |= HAS_OPAQUE;
        break;
    }
  }
  const t = typeOfValue(value);
  let result: VResult = VALID;
  const r =
    t === "number" ? checkNumber(value as number, loc, path)
    : t === "string" ? checkString(ctx, value as string, s, path)
    : t === "array" ? validateArray(ctx, value as JsonValue[], { loc, path, trail, child })
    : t === "object" && isJsonObject(value) ? validateObject(ctx, value, { loc, path, trail, child })
    : VALID;
  if (r.valid === false) return r;
  result = worse(result, r);
  if (has & HAS_COMBINATOR) {
    const c = checkCombinators(ctx, value, loc, path, trail);
    if (c.valid === false) return c;
    result = worse(result, c);
  }
  if (has & HAS_UNSUPPORTED) {
    for (const key of ["$dynamicRef", "$recursiveRef", "unevaluatedItems", "unevaluatedProperties"]) {
      const applies = key.endsWith("Items") ? t === "array" : key.endsWith("Properties") ? t === "object" : true;
      if (key in s && applies) result = worse(result, unsure(path, `${key} is not supported`));
    }
  }
  if (has & HAS_OPAQUE) result = worse(result, unsure(path, String(s[OPAQUE_KEYWORD])));
  return result;
}

function checkType(value: JsonValue, type: unknown, path: Path): VResult {
  const types = Array.isArray(type) ? type : [type];
  const t = typeOfValue(value);
  for (const want of types) {
    if (want === t) return VALID;
    if (want === "integer" && t === "number" && Number.isInteger(value)) return VALID;
  }
  return fail(path, `type ${types.join(" or ")}`);
}

function checkNumber(x: number, loc: Loc, path: Path): VResult {
  const s = loc.schema as { readonly [k: string]: unknown };
  const old = loc.doc.draft === "draft-04";
  const min = s["minimum"];
  const max = s["maximum"];
  const xmin = s["exclusiveMinimum"];
  const xmax = s["exclusiveMaximum"];
  if (typeof min === "number" && (x < min || (old && xmin === true && x === min))) {
    return fail(path, old && xmin === true ? `exclusiveMinimum ${min}` : `minimum ${min}`);
  }
  if (typeof max === "number" && (x > max || (old && xmax === true && x === max))) {
    return fail(path, old && xmax === true ? `exclusiveMaximum ${max}` : `maximum ${max}`);
  }
  if (xmin === undefined && xmax === undefined && s["multipleOf"] === undefined) return VALID;
  const verdict = new Verdict();
  for (const [value, name, sign] of [[xmin, "exclusiveMinimum", 1], [xmax, "exclusiveMaximum", -1]] as const) {
    if (value === undefined || (old && typeof value === "boolean")) continue;
    if (typeof value !== "number" || old) verdict.add(unsure(path, `${name} ${preview(value)} is not valid in ${loc.doc.draft}`));
    else if (sign > 0 ? x <= value : x >= value) return fail(path, `${name} ${value}`);
  }
  const m = s["multipleOf"];
  if (typeof m === "number" && m > 0) {
    const exact = isMultipleOf(x, m);
    if (exact !== isMultipleOfIeee(x, m)) {
      verdict.add(unsure(path, `multipleOf ${m}: exact decimal arithmetic says ${exact}, IEEE-754 division says ${!exact}`));
    } else if (!exact) return fail(path, `multipleOf ${m}`);
  }
  return verdict.result;
}

function checkString(ctx: Ctx, x: string, s: { readonly [k: string]: unknown }, path: Path): VResult {
  const minLength = s["minLength"];
  const maxLength = s["maxLength"];
  if (typeof minLength === "number" || typeof maxLength === "number") {
    // JSON Schema counts Unicode code points, not UTF-16 units.
    const length = [...x].length;
    if (typeof minLength === "number" && length < minLength) return fail(path, `minLength ${minLength}`);
    if (typeof maxLength === "number" && length > maxLength) return fail(path, `maxLength ${maxLength}`);
  }
  const pattern = s["pattern"];
  if (pattern === undefined && s["format"] === undefined && !("contentSchema" in s || "contentMediaType" in s || "contentEncoding" in s)) return VALID;
  const verdict = new Verdict();
  if (typeof pattern === "string") {
    const re = regex(ctx, pattern);
    if (re === null) verdict.add(unsure(path, `pattern ${preview(pattern)} is not a valid ECMA-262 regular expression`));
    else if (!re.test(x)) return fail(path, `pattern ${preview(pattern)}`);
  }
  const format = s["format"];
  if (typeof format === "string" && !knownValid(format, x)) verdict.add(unsure(path, `format "${format}" is not checked`));
  for (const key of ["contentSchema", "contentMediaType", "contentEncoding"]) {
    if (key in s) verdict.add(unsure(path, `${key} is not supported`));
  }
  return verdict.result;
}

function checkCombinators(ctx: Ctx, value: JsonValue, loc: Loc, path: Path, trail: Trail): VResult {
  const s = loc.schema as { readonly [k: string]: unknown };
  const verdict = new Verdict();
  const sub = (schema: unknown): VResult => validateLoc(ctx, value, childLoc(ctx, loc, schema), path, trail);
  if (Array.isArray(s["allOf"])) for (const b of s["allOf"]) if (verdict.add(sub(b))) return verdict.result;
  if (Array.isArray(s["anyOf"]) && verdict.add(anyOf(s["anyOf"].map(sub), path))) return verdict.result;
  if (Array.isArray(s["oneOf"]) && verdict.add(oneOf(s["oneOf"].map(sub), path))) return verdict.result;
  if ("not" in s) {
    const r = sub(s["not"]);
    if (r.valid === true) return fail(path, "the value not to match its `not` schema");
    if (r.valid === "unknown") verdict.add(r);
  }
  if ("if" in s) {
    if (loc.doc.draft === "draft-04" || loc.doc.draft === "draft-06") {
      verdict.add(unsure(path, `if/then/else is not part of ${loc.doc.draft}, but some validators apply it`));
    } else {
      const cond = sub(s["if"]);
      const branch = cond.valid === true ? s["then"] : cond.valid === false ? s["else"] : undefined;
      if (cond.valid === "unknown") verdict.add(cond);
      else if (branch !== undefined && verdict.add(sub(branch))) return verdict.result;
    }
  }
  return verdict.result;
}

function anyOf(results: readonly VResult[], path: Path): VResult {
  let unknown: VResult | null = null;
  for (const r of results) {
    if (r.valid === true) return VALID;
    if (r.valid === "unknown") unknown ??= r;
  }
  return unknown ?? fail(path, "a match for one of its anyOf alternatives (none matches)");
}

function oneOf(results: readonly VResult[], path: Path): VResult {
  const valid = results.filter((r) => r.valid === true).length;
  const unknown = results.find((r) => r.valid === "unknown");
  if (valid > 1) return fail(path, `a match for exactly one oneOf alternative (${valid} match)`);
  if (unknown !== undefined) return unknown;
  return valid === 1 ? VALID : fail(path, "a match for exactly one oneOf alternative (none matches)");
}
