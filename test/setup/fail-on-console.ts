import { afterEach, beforeEach, vi } from "vitest";

// Stray console output hides real failures in CI logs; a test that needs to print must mock it.
const methods = ["log", "info", "warn", "error", "debug"] as const;
let calls: string[] = [];

beforeEach(() => {
  calls = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      calls.push(`console.${method}: ${args.map(String).join(" ")}`);
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  if (calls.length > 0) {
    const printed = calls.join("\n");
    calls = [];
    throw new Error(`The test wrote to the console; mock or remove it:\n${printed}`);
  }
});
