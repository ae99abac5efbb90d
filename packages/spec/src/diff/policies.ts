import { jsonEqual, preview } from "../compat/json.js";
import type { BudgetDef, RestartDef, RetryDef } from "../def/graph-def.js";

/**
 * How a limit changed: `tighter` when some run that the old limit allowed may exceed the new one
 * (so a run in flight may already be past it), `looser` when every change gives more room, and
 * `neutral` when nothing a run may already have used is affected (delays, jitter).
 */
export interface LimitChange {
  readonly direction: "tighter" | "looser" | "neutral";
  /** `timeoutMs 30000 → 10000`, one entry per changed field. */
  readonly details: readonly string[];
}

const BUDGET_FIELDS = ["timeoutMs", "attempts", "tokens", "costUsd"] as const;

/** Budget fields are ceilings; absent means none. An unknown field that changed counts as tighter. */
export function budgetChange(before: BudgetDef | undefined, after: BudgetDef | undefined): LimitChange {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const details: string[] = [];
  let tighter = false;
  let looser = false;
  for (const key of unionKeys(b, a)) {
    if (jsonEqual(b[key], a[key])) continue;
    details.push(`${key} ${show(b[key])} → ${show(a[key])}`);
    if ((BUDGET_FIELDS as readonly string[]).includes(key)) {
      const lower = ceiling(a[key]) < ceiling(b[key]);
      tighter ||= lower;
      looser ||= !lower;
    } else {
      tighter = true;
    }
  }
  return { direction: tighter ? "tighter" : looser ? "looser" : "neutral", details };
}

/**
 * Retries: fewer attempts is tighter (a run may already be on a later attempt); delays are neutral.
 * Attempts default to the budget's, else 1, as the runtime does.
 */
export function retryChange(before: RetryDef | undefined, beforeBudget: BudgetDef | undefined, after: RetryDef | undefined, afterBudget: BudgetDef | undefined): LimitChange {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const details: string[] = [];
  let tighter = false;
  let looser = false;
  const attempts = (retry: RetryDef | undefined, budget: BudgetDef | undefined) => retry?.attempts ?? budget?.attempts ?? 1;
  const was = attempts(before, beforeBudget);
  const now = attempts(after, afterBudget);
  if (was !== now) {
    details.push(`attempts ${was} → ${now}`);
    tighter ||= now < was;
    looser ||= now > was;
  }
  for (const key of unionKeys(b, a)) {
    if (key === "attempts" || jsonEqual(b[key], a[key])) continue;
    details.push(`${key} ${show(b[key])} → ${show(a[key])}`);
    if (!DELAY_FIELDS.has(key)) tighter = true;
  }
  return { direction: tighter ? "tighter" : looser ? "looser" : "neutral", details };
}

const DELAY_FIELDS = new Set(["initialDelayMs", "maxDelayMs", "factor", "jitter"]);
const RESTART_RANK: Readonly<Record<string, number>> = { temporary: 0, transient: 1, permanent: 2 };

/**
 * Restarts: tighter when fewer failures are restarted (a weaker type, a failure class moved to
 * `escalate`) or fewer restarts fit the window (lower `intensity`, longer `periodMs`); the backoff is
 * neutral. No policy means `temporary`.
 */
export function restartChange(before: RestartDef | undefined, after: RestartDef | undefined): LimitChange {
  const b = (before ?? { type: "temporary" }) as RestartDef & Record<string, unknown>;
  const a = (after ?? { type: "temporary" }) as RestartDef & Record<string, unknown>;
  const details: string[] = [];
  let tighter = false;
  let looser = false;
  const note = (what: string, wasValue: unknown, nowValue: unknown, isTighter: boolean) => {
    details.push(`${what} ${show(wasValue)} → ${show(nowValue)}`);
    tighter ||= isTighter;
    looser ||= !isTighter;
  };
  const rank = (type: string) => RESTART_RANK[type] ?? -1;
  if (b.type !== a.type) note("type", b.type, a.type, rank(a.type) < rank(b.type));
  const intensity = (r: RestartDef) => r.intensity ?? 3;
  const period = (r: RestartDef) => r.periodMs ?? 60_000;
  if (intensity(b) !== intensity(a)) note("intensity", intensity(b), intensity(a), intensity(a) < intensity(b));
  if (period(b) !== period(a)) note("periodMs", period(b), period(a), period(a) > period(b));
  const bOn = b.on ?? {};
  const aOn = a.on ?? {};
  for (const failure of unionKeys(bOn, aOn)) {
    const was = bOn[failure];
    const now = aOn[failure];
    if (was === now) continue;
    // A class that was restarted on purpose and no longer is (or now escalates) is tighter.
    note(`on.${failure}`, was ?? "(type)", now ?? "(type)", now === "escalate" || (was === "restart" && now === undefined));
  }
  for (const key of unionKeys(b, a)) {
    if (KNOWN_RESTART.has(key) || jsonEqual(b[key], a[key])) continue;
    details.push(`${key} ${show(b[key])} → ${show(a[key])}`);
    if (!DELAY_FIELDS.has(key)) tighter = true;
  }
  return { direction: tighter ? "tighter" : looser ? "looser" : "neutral", details };
}

const KNOWN_RESTART = new Set(["type", "intensity", "periodMs", "on"]);

function ceiling(value: unknown): number {
  return typeof value === "number" ? value : Number.POSITIVE_INFINITY;
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/** A short rendering for messages; absent values show as "none". */
export function show(value: unknown): string {
  return value === undefined ? "none" : preview(value, 40);
}
