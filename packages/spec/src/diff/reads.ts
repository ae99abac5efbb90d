import type { BindingDef, GraphDef, ValuePath } from "../def/graph-def.js";

/** One value a binding reads: a path into the graph's input (`source` undefined) or into a block's output. */
export interface ValueRead {
  readonly source: string | undefined;
  readonly path: ValuePath;
  /** Declared optional (`maybe(...)`): the reader accepts that the block did not run. */
  readonly optional: boolean;
}

/** `firstOf(...)`: at least one of `sources` must have run, unless an alternative is always available. */
export interface FirstGroup {
  readonly sources: readonly string[];
}

/** Everything one reader (a block's input, or the graph's output) reads. */
export interface ReaderReads {
  /** The reading block's id; undefined for the graph's output. */
  readonly reader: string | undefined;
  /** Every read, for type comparisons. */
  readonly values: readonly ValueRead[];
  /** Blocks that must have completed before the reader starts (the checker's rule). */
  readonly required: readonly string[];
  /** `firstOf` groups of which one must have completed. */
  readonly groups: readonly FirstGroup[];
}

/**
 * What each reader of a graph reads, following the checker's rules for which reads need their
 * source to have run: plain refs do, `maybe(...)` refs do not, and a `firstOf(...)` needs one of its
 * refs unless one alternative is the graph input or a literal.
 */
export function readsOf(def: GraphDef): ReaderReads[] {
  const out: ReaderReads[] = [];
  const seen = new Set<string>();
  for (const node of def.nodes) {
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    if (node.input !== undefined) out.push(collect(node.id, node.input));
  }
  if (def.output !== undefined) out.push(collect(undefined, def.output));
  return out;
}

function collect(reader: string | undefined, binding: BindingDef): ReaderReads {
  const values: ValueRead[] = [];
  const required: string[] = [];
  const groups: FirstGroup[] = [];
  const walk = (b: BindingDef, needed: boolean): void => {
    switch (b.kind) {
      case "input":
        values.push({ source: undefined, path: b.path, optional: false });
        return;
      case "output":
        values.push({ source: b.node, path: b.path, optional: b.optional === true });
        if (needed && b.optional !== true) required.push(b.node);
        return;
      case "literal":
        return;
      case "object":
        for (const field of Object.keys(b.fields)) walk(b.fields[field] as BindingDef, needed);
        return;
      case "first": {
        const always = b.of.some((alt) => alt.kind === "input" || alt.kind === "literal");
        const refs = b.of.filter((alt) => alt.kind === "output" && alt.optional !== true).map((alt) => (alt as { node: string }).node);
        if (needed && !always && refs.length > 0) groups.push({ sources: refs });
        // Like the checker: objects inside firstOf need their own refs; plain refs count through the group.
        for (const alt of b.of) walk(alt, needed && alt.kind === "object");
        return;
      }
    }
  };
  walk(binding, true);
  return { reader, values, required, groups };
}
