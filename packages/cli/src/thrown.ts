// How a thrown error recorded by the runtime (ErrorInfo.thrown) is shown: its name and message,
// where it was thrown (the first frame in the user's own code), and its cause chain. Full stacks
// only when the user asked for them (--verbose, DEBUG=blockwork).
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ThrownError } from "@blockwork/core";

/** `Name: message`, without the name of a plain `Error`. */
function headline(t: ThrownError): string {
  return t.name === "Error" || t.name === "" ? t.message : `${t.name}: ${t.message}`;
}

/**
 * The first stack frame in the user's code (not Blockwork, not node_modules, not Node itself), as
 * `path:line:column` relative to `cwd`, or undefined when the stack has none.
 */
export function userFrame(stack: string | undefined, cwd: string): string | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split("\n").slice(1)) {
    const match = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    let file = match[1] as string;
    if (file.startsWith("node:") || file.includes("/node_modules/") || /\/packages\/(core|spec|nodes|server|cli)\/(src|dist)\//.test(file)) continue;
    if (file.startsWith("file://")) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (!file.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(file)) continue;
    return `${relative(cwd, file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/**
 * Lines describing a thrown error under a failure message: where it was thrown, then each cause
 * (`caused by: TypeError: ... at file:line:col`); with `verbose`, every stack in full instead.
 */
export function thrownLines(thrown: ThrownError, options: { cwd: string; verbose: boolean; indent?: string; stackHint?: string }): string[] {
  const pad = options.indent ?? "  ";
  const lines: string[] = [];
  let link: ThrownError | undefined = thrown;
  let first = true;
  while (link !== undefined) {
    if (options.verbose && link.stack !== undefined) {
      const [head, ...frames] = link.stack.split("\n");
      lines.push(`${pad}${first ? "" : "caused by: "}${head}${link.code !== undefined && !first ? ` [${link.code}]` : ""}`, ...frames.map((f) => `${pad}${f}`));
    } else {
      const at = userFrame(link.stack, options.cwd);
      if (first) {
        if (at !== undefined) lines.push(`${pad}thrown at ${at}`);
      } else {
        lines.push(`${pad}caused by: ${headline(link)}${link.code !== undefined ? ` [${link.code}]` : ""}${at !== undefined ? ` (at ${at})` : ""}`);
      }
    }
    first = false;
    link = link.cause;
  }
  if (thrown.truncated === true || hasTruncated(thrown.cause)) lines.push(`${pad}(cut to fit the journal; blockwork runs show --json has what was kept)`);
  if (!options.verbose && thrown.stack !== undefined && options.stackHint !== undefined) lines.push(`${pad}${options.stackHint}`);
  return lines;
}

function hasTruncated(t: ThrownError | undefined): boolean {
  return t !== undefined && (t.truncated === true || hasTruncated(t.cause));
}
