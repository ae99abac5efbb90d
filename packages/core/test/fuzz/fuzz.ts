/**
 * The differential fuzzer of issue 12: random graphs (graph-arbitrary.ts) built through the public
 * builder; every graph `check` accepts is run under many schedules (harness.ts); a run that does
 * what an accepted graph must never do fails the property, and fast-check shrinks the graph and
 * the schedule to a small counterexample, printed as builder code with the run's trace.
 */
import type { GraphBlock } from "@blockwork/spec";
import fc from "fast-check";
import { type FuzzGraph, type FuzzGraphOptions, fuzzGraphArbitrary } from "./graph-arbitrary.js";
import { printFuzzEdges, printFuzzGraph, repairFuzzGraph } from "./graph-build.js";
import { type FuzzProblem, type FuzzRunReport, type FuzzSchedule, type RunFuzzOptions, runFuzzGraph, SwitchImplementation } from "./harness.js";

/** What a fuzzing session covered. */
export interface FuzzStats {
  graphs: number;
  accepted: number;
  /** Accepted graphs left out by `skip`. */
  skipped: number;
  runs: number;
  completed: number;
  /** Runs crashed and resumed (with replay), and how many journal entries they replayed in all. */
  resumed: number;
  replayedEntries: number;
  /** Bound values compared with the value their binding names (ref, maybe, firstOf). */
  checkedValues: number;
  failures: number;
  /** Checker error codes of the graphs `check` rejected (after repair), counted once per graph. */
  readonly rejected: Record<string, number>;
  /** Outcomes of runs: `completed`, or the error code a run failed with. */
  readonly outcomes: Record<string, number>;
  /** Failing runs by the kind of their first problem. */
  readonly problems: Record<string, number>;
}

/** A new, empty tally. */
export function emptyStats(): FuzzStats {
  return { graphs: 0, accepted: 0, skipped: 0, runs: 0, completed: 0, resumed: 0, replayedEntries: 0, checkedValues: 0, failures: 0, rejected: {}, outcomes: {}, problems: {} };
}

/** Options of {@link graphProperty}. */
export interface GraphPropertyOptions extends RunFuzzOptions {
  readonly graph?: FuzzGraphOptions;
  /** Schedules per accepted graph. Default 8. */
  readonly schedules?: number;
  /** Counted into while `counting()` says so (fast-check also calls the property while shrinking). */
  readonly stats?: FuzzStats;
  readonly counting?: () => boolean;
  /** Called when a run misbehaves, before the property fails (and fast-check starts shrinking). */
  readonly onFailure?: () => void;
  /** Count misbehaving runs and go on (no shrinking): for measuring how often a runtime fails. */
  readonly keepGoing?: boolean;
  /** Graphs to leave out (counted as `skipped`), e.g. a shape with a known open bug. */
  readonly skip?: (graph: GraphBlock) => boolean;
  /** Only runs with a problem of this kind fail the property (to shrink one kind of bug among several). */
  readonly only?: FuzzProblem["kind"];
}

/** Thrown by the property for a run with problems; carries the readable report. */
export class FuzzFailure extends Error {
  constructor(
    readonly graph: FuzzGraph,
    readonly schedule: FuzzSchedule,
    readonly report: FuzzRunReport,
  ) {
    super(formatFailure(graph, schedule, report));
    this.name = "FuzzFailure";
  }
}

/** The schedules arbitrary: a seed for the blocks' decisions and the order gates open in. */
export function scheduleArbitrary(): fc.Arbitrary<FuzzSchedule> {
  return fc.record({ seed: fc.nat(), choices: fc.array(fc.nat({ max: 7 }), { maxLength: 40 }), cut: fc.nat({ max: 60 }) });
}

/** The property: every graph `check` accepts runs without problems under every schedule. */
export function graphProperty(options: GraphPropertyOptions = {}) {
  const schedules = options.schedules ?? 8;
  const stats = options.stats;
  const counting = options.counting ?? (() => true);
  return fc.asyncProperty(fuzzGraphArbitrary(options.graph), fc.array(scheduleArbitrary(), { minLength: schedules, maxLength: schedules }), async (raw, list) => {
    const count = stats !== undefined && counting();
    const impl = new SwitchImplementation();
    const { graph, block, errors } = repairFuzzGraph(raw, impl);
    if (count) stats.graphs++;
    if (errors.length > 0) {
      if (count) for (const code of new Set(errors.map((e) => e.code))) stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
      return;
    }
    if (options.skip?.(block)) {
      if (count) stats.skipped++;
      return;
    }
    if (count) stats.accepted++;
    for (const schedule of list) {
      const report = await runFuzzGraph(graph, block, impl, schedule, options);
      const failed = options.only === undefined ? report.problems.length > 0 : report.problems.some((p) => p.kind === options.only);
      if (count) {
        stats.runs++;
        const outcome = report.outcome === "completed" ? "completed" : (report.code ?? report.outcome);
        stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
        if (report.outcome === "completed") stats.completed++;
        stats.checkedValues += report.checkedValues;
        if (report.resumedFrom !== undefined) {
          stats.resumed++;
          stats.replayedEntries += report.resumedFrom;
        }
        const first = report.problems[0];
        if (failed && first !== undefined) {
          stats.failures++;
          stats.problems[first.kind] = (stats.problems[first.kind] ?? 0) + 1;
        }
      }
      if (!failed) continue;
      if (options.keepGoing) break;
      if (count) options.onFailure?.();
      throw new FuzzFailure(graph, schedule, report);
    }
  });
}

/** A counterexample, readably: the problems, the graph as builder code and edge list, the schedule and the trace. */
export function formatFailure(graph: FuzzGraph, schedule: FuzzSchedule, report: FuzzRunReport): string {
  const problems = report.problems.map((p) => `  - ${p.kind}: ${p.message}`).join("\n");
  const cut = schedule.cut !== undefined && report.trace.some((t) => t.startsWith("--- crash")) ? `, journal cut ${schedule.cut}` : "";
  const edges = [printFuzzEdges(graph), ...graph.nodes.filter((n) => n.sub).map((n) => `  ${n.id} = ${printFuzzEdges(n.sub as FuzzGraph)}`)].join("\n");
  const trace = report.trace.length > 80 ? [...report.trace.slice(0, 80), `  ... ${report.trace.length - 80} more`] : report.trace;
  return [
    `A graph that check accepts misbehaved (${report.outcome}${report.code ? `: ${report.code}` : ""}):`,
    problems,
    "",
    "Edges:",
    edges,
    "",
    "Graph:",
    printFuzzGraph(graph),
    "",
    `Schedule: seed ${schedule.seed}, gate choices [${schedule.choices.join(", ")}]${cut}`,
    "Trace:",
    ...trace.map((t) => `  ${t}`),
  ].join("\n");
}
