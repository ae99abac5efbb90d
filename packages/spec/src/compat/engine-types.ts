/**
 * Shared shapes of the containment engine, kept apart so the structural checkers do not import
 * the engine (and the engine does not import them back).
 */
import type { JsonValue, ValuePath } from "../def/graph-def.js";
import type { NodeSet } from "./context.js";
import type { EngineCtx } from "./normalize.js";

/** A ⊆ B for one pair of node sets. Paths are relative to the value the pair describes. */
export type Sub =
  | { readonly kind: "yes" }
  | { readonly kind: "no"; readonly witness: JsonValue; readonly path: ValuePath; readonly reason: string }
  | { readonly kind: "unknown"; readonly path: ValuePath; readonly reason: string };

export const YES: Sub = { kind: "yes" };

export type Inhabited = { readonly value: JsonValue } | "empty" | "unknown";

/** The value of an inhabitant; undefined when there is none or it is undecided (null is a value). */
export function valueOf(i: Inhabited): JsonValue | undefined {
  return typeof i === "object" ? i.value : undefined;
}

export interface Engine extends EngineCtx {
  readonly memo: Map<string, Sub>;
  readonly stack: Map<string, number>;
  /** The lowest stack depth a co-inductive assumption made while computing the current frame. */
  lowest: number;
  depth: number;
  /** Stack entries below this depth belong to an enclosing proof and are not assumptions here. */
  floor: number;
  /** A ⊆ B on a sub-value (one level deeper than the caller). */
  readonly sub: (a: NodeSet, b: NodeSet) => Sub;
  /** Some value of the conjunction, "empty" when there is none, "unknown" when undecided. */
  readonly inhabit: (a: NodeSet) => Inhabited;
}

/** A proposed counterexample, built only if needed, with the explanation of where it differs. */
export interface Candidate {
  /** Undefined when no such value could be built. */
  readonly build: () => JsonValue | undefined;
  readonly path: ValuePath;
  readonly reason: string;
  /** The reason only describes A; B's failed requirement is appended once confirmed. */
  readonly partial?: boolean;
}

/** The outcome of comparing one piece of A with one piece of B. */
export class PieceCheck {
  readonly candidates: Candidate[] = [];
  unknown: { readonly path: ValuePath; readonly reason: string } | null = null;

  fail(build: () => JsonValue | undefined, path: ValuePath, reason: string): void {
    this.candidates.push({ build, path, reason });
  }

  undecided(path: ValuePath, reason: string): void {
    this.unknown ??= { path, reason };
  }

  /** Records a sub-comparison made at `step` (a key or index) below this piece. */
  child(r: Sub, step: string | number, build: (w: JsonValue) => JsonValue | undefined): void {
    if (r.kind === "no") this.fail(() => build(r.witness), [step, ...r.path], r.reason);
    else if (r.kind === "unknown") this.undecided([step, ...r.path], r.reason);
  }

  get proven(): boolean {
    return this.candidates.length === 0 && this.unknown === null;
  }
}
