import type { JsonValue } from "../def/graph-def.js";
import type { DraftChange, Probe, ScopeDiff } from "./model.js";
import type { CallersImpact, ChangeCode, FlowImpact } from "./types.js";

/** What a comparison reports; `flow` defaults to `none`. */
export interface ChangeInput {
  readonly code: ChangeCode;
  readonly path: string;
  readonly message: string;
  readonly callers?: CallersImpact;
  readonly flow?: FlowImpact;
  readonly reasons?: readonly string[];
  readonly before?: JsonValue | undefined;
  readonly after?: JsonValue | undefined;
  readonly probe?: Probe;
}

/** Collects the changes of a whole diff, indexed by scope and path for the position rules. */
export class Recorder {
  readonly all: DraftChange[] = [];

  add(scope: ScopeDiff, input: ChangeInput): DraftChange {
    const change: DraftChange = {
      code: input.code,
      path: input.path,
      callers: input.callers ?? "none",
      flow: input.flow ?? "none",
      message: input.message,
      reasons: [...(input.reasons ?? [])],
      ...(input.before !== undefined ? { before: input.before } : {}),
      ...(input.after !== undefined ? { after: input.after } : {}),
      ...(input.probe ? { probe: input.probe } : {}),
      unsafeAt: new Set(),
    };
    this.all.push(change);
    const list = scope.byPath.get(change.path);
    if (list) list.push(change);
    else scope.byPath.set(change.path, [change]);
    return change;
  }
}
