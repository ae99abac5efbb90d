import { relative } from "node:path";
import { ISSUE_CODES, type Issue } from "@blockwork/spec";
import type { CheckReport } from "./check-report.js";
import { positionOfIssue } from "./load.js";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/**
 * The check report as SARIF 2.1.0, for code-scanning tools. JSON documents get exact regions
 * (from the issue's path); modules get the line where the block's id first appears.
 */
export function toSarif(report: CheckReport, cwd: string): unknown {
  const rules = Object.entries(ISSUE_CODES).map(([id, rule]) => ({
    id,
    name: id,
    shortDescription: { text: rule.summary },
    defaultConfiguration: { level: rule.severity },
    helpUri: `docs/checker.md#${id}`,
  }));
  const results = report.graphs.flatMap((g) =>
    g.issues.map((i) => result(i, relative(cwd, g.file), report.texts.get(g.file) ?? "", g.file)),
  );
  const loadResults = report.problems.flatMap((p) =>
    p.problems.map((problem) => ({
      ruleId: "load_error",
      level: "error",
      message: { text: problem.message },
      locations: [
        {
          physicalLocation: p.location
            ? { artifactLocation: { uri: relative(cwd, p.location.file) }, region: { startLine: p.location.line, startColumn: p.location.column } }
            : {
                artifactLocation: { uri: relative(cwd, p.file) },
                ...(problem.line !== undefined ? { region: { startLine: problem.line, startColumn: problem.column ?? 1 } } : {}),
              },
        },
      ],
    })),
  );
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "blockwork",
            informationUri: "docs/checker.md",
            rules: [...rules, { id: "load_error", name: "load_error", shortDescription: { text: "A file could not be loaded as graphs." }, defaultConfiguration: { level: "error" } }],
          },
        },
        results: [...results, ...loadResults],
      },
    ],
  };
}

function result(i: Issue, uri: string, text: string, file: string): unknown {
  const region = positionOfIssue(text, file, i);
  return {
    ruleId: i.code,
    level: i.severity,
    message: { text: i.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri },
          ...(region ? { region: { startLine: region.line, startColumn: region.column } } : {}),
        },
        logicalLocations: [{ fullyQualifiedName: [...i.graph, ...(i.block !== undefined ? [i.block] : [])].join("/"), kind: "function" }],
      },
    ],
  };
}
