/** Formatting and statistics shared by the benchmarks. */

export interface Row {
  readonly name: string;
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly baselineName?: string;
  readonly ratio?: number;
  readonly note?: string;
}

/** Runs `fn` `runs` times (after `warmup` runs) and returns the times in milliseconds. */
export function timeRuns(fn: () => void, runs: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

export function stats(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** A plain-text table: one row per measurement, with the ratio to its baseline. */
export function printTable(title: string, rows: readonly Row[]): string {
  const header = ["benchmark", "median", "min", "max", "unit", "baseline", "ratio", "note"];
  const body = rows.map((r) => [
    r.name,
    fmt(r.median),
    fmt(r.min),
    fmt(r.max),
    r.unit,
    r.baselineName ?? "",
    r.ratio === undefined ? "" : `${fmt(r.ratio)}×`,
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
