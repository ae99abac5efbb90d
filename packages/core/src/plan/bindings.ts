import type { BindingDef, ValuePath } from "@blockwork/spec";

/** What a binding reads: the graph's (parsed) input, and the latest output of each block by index. */
export interface BindingEnv {
  readonly input: unknown;
  /** `undefined` for a block that has not completed in this scope. */
  readonly outputs: readonly unknown[];
}

/** A compiled binding: evaluates to the value it stands for (`undefined` when absent). */
export type Binder = (env: BindingEnv) => unknown;

/** Thrown by a binder when a required source has no value; the runtime turns it into `binding_failed`. */
export class MissingValueError extends Error {
  override readonly name = "MissingValueError";
}

/**
 * Compiles a binding into a closure, once per graph: the hot path then only reads values, with no
 * interpretation of the binding tree per step. `indexOf` maps block ids to output slots.
 */
export function compileBinding(binding: BindingDef | undefined, indexOf: (id: string) => number): Binder {
  if (binding === undefined) return () => ({});
  switch (binding.kind) {
    case "literal": {
      const value = binding.value;
      return () => value;
    }
    case "input":
      return reader(binding.path, (env) => env.input);
    case "output": {
      const slot = indexOf(binding.node);
      const read = reader(binding.path, (env) => env.outputs[slot]);
      if (binding.optional) return read;
      const node = binding.node;
      return (env) => {
        if (env.outputs[slot] === undefined) throw new MissingValueError(`block "${node}" has not completed`);
        return read(env);
      };
    }
    case "object": {
      const fields = Object.entries(binding.fields).map(([key, b]) => [key, compileBinding(b, indexOf)] as const);
      return (env) => {
        const out: Record<string, unknown> = {};
        for (const [key, bind] of fields) {
          const value = bind(env);
          if (value !== undefined) out[key] = value;
        }
        return out;
      };
    }
    case "first": {
      // Alternatives are read as optional: the first one that has a value wins.
      const alternatives = binding.of.map((b) => compileBinding(b.kind === "output" ? { ...b, optional: true } : b, indexOf));
      return (env) => {
        for (const alternative of alternatives) {
          const value = alternative(env);
          if (value !== undefined) return value;
        }
        return undefined;
      };
    }
  }
}

function reader(path: ValuePath, root: Binder): Binder {
  switch (path.length) {
    case 0:
      return root;
    case 1: {
      const key = path[0] as string | number;
      return (env) => (root(env) as Record<string | number, unknown> | undefined)?.[key];
    }
    default:
      return (env) => {
        let value = root(env);
        for (const key of path) {
          if (value === null || typeof value !== "object") return undefined;
          value = (value as Record<string | number, unknown>)[key];
        }
        return value;
      };
  }
}
