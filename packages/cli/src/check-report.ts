import type { Issue } from "@blockwork/spec";
import type { FileProblem } from "./load.js";

/** The result for one graph. */
export interface GraphReport {
  readonly file: string;
  readonly exportName?: string;
  readonly graph: string;
  readonly blocks: number;
  readonly issues: readonly Issue[];
}

/** What `blockwork check` found: per graph, files it could not load, and the files' texts (for positions). */
export interface CheckReport {
  readonly graphs: readonly GraphReport[];
  readonly problems: readonly FileProblem[];
  readonly texts: ReadonlyMap<string, string>;
}
