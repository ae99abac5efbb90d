/**
 * Public result types of the schema compatibility engine.
 *
 * They are plain data so the checker can put them into issues unchanged.
 */
import type { JsonValue, ValuePath } from "../def/graph-def.js";

/** A JSON Schema dialect. Keyword meaning differs between them (tuples, exclusive bounds, `$ref` siblings). */
export type Draft = "draft-04" | "draft-06" | "draft-07" | "draft-2019-09" | "draft-2020-12";

/** Options shared by `compat`, `validateValue` and `enumerateValues`. */
export interface CompatOptions {
  /**
   * Forces the dialect of every schema involved. Without it each schema document uses its own
   * `$schema`, and `draft-2020-12` when that is absent or unrecognised.
   */
  readonly draft?: Draft;
  /** Bounds on the work of one call; past one the answer is `unknown` with the reason. */
  readonly limits?: AnalysisLimits;
}

/**
 * The budgets one `compat`, `validateValue` or `enumerateValues` call runs under. Hostile schemas
 * (deep nesting, `$ref` chains, huge unions) end in an `unknown` naming the budget, never in a
 * crash, a hang or runaway memory.
 */
export interface AnalysisLimits {
  /** Comparison steps (pairs of sub-schemas compared). Default 200,000. */
  readonly steps?: number;
  /** Schema nodes normalised. Default 100,000. */
  readonly nodes?: number;
  /** Nesting of schemas and values followed in one chain. Default 200. */
  readonly depth?: number;
  /** Wall-clock time in milliseconds. Default 2,000. */
  readonly timeMs?: number;
}

/**
 * The answer to "is every value valid under A also valid under B?".
 *
 * `yes` is a proof. `no` carries the value path where A and B differ and, when one was found and
 * confirmed by the concrete validator, a counterexample valid under A and invalid under B.
 * `unknown` says where and why the engine could not decide.
 */
export type CompatResult =
  | { readonly verdict: "yes" }
  | {
      readonly verdict: "no";
      readonly path: ValuePath;
      readonly reason: string;
      readonly counterexample?: JsonValue;
    }
  | { readonly verdict: "unknown"; readonly path: ValuePath; readonly reason: string };

/** The outcome of validating one value against one schema. */
export type ValidationResult =
  | { readonly valid: true }
  | { readonly valid: false; readonly path: ValuePath; readonly reason: string }
  | { readonly valid: "unknown"; readonly path: ValuePath; readonly reason: string };

/** The values a schema admits, when there are finitely many and the engine can list them. */
export type Enumeration =
  | { readonly kind: "finite"; readonly values: readonly JsonValue[] }
  | { readonly kind: "infinite" }
  | { readonly kind: "unknown"; readonly reason: string };
