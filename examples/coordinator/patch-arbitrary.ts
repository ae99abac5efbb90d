import type { BindingDef, Catalogue, EdgeDef, GraphDef, JsonSchema, JsonValue, Patch, PatchOp } from "@blockwork/spec";
import fc from "fast-check";

/**
 * Random patches for a graph and a catalogue, for property tests: operations of every kind over
 * the graph's ids and the catalogue's, with bindings that often (not always) make sense, so that a
 * good share of the patches pass the checker and a good share do not.
 */
export function patchArbitrary(def: GraphDef, catalogue: Catalogue, options: { maxOps?: number } = {}): fc.Arbitrary<Patch> {
  const ids = def.nodes.map((n) => n.id);
  const catalogueIds = catalogue.entries.map((e) => e.id);
  const anyId = fc.constantFrom(...ids, ...catalogueIds);
  const graphId = fc.constantFrom(...ids);
  const sources = refsOf(def, catalogue);
  const literal = fc.constantFrom<JsonValue>("text", 3, true, [], {}, "billing", "approve");
  const refFor = (field: string | undefined): fc.Arbitrary<BindingDef> => {
    const named = field === undefined ? [] : sources.filter((r) => (r.kind === "input" || r.kind === "output") && (r.path.at(-1) === field || (r.kind === "input" && r.path.length === 0)));
    const pool = named.length ? named : sources;
    return fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...pool) },
      { weight: 1, arbitrary: fc.constantFrom(...sources) },
      { weight: 1, arbitrary: literal.map((value): BindingDef => ({ kind: "literal", value })) },
      { weight: 1, arbitrary: fc.constantFrom(...pool).map((ref): BindingDef => ({ kind: "first", of: [ref, { kind: "literal", value: "default" }] })) },
      { weight: 1, arbitrary: fc.constantFrom(...pool).map((ref): BindingDef => (ref.kind === "output" ? { ...ref, optional: true } : ref)) },
    );
  };
  const fieldsOf = (schema: JsonSchema) => (typeof schema === "object" && schema["properties"] ? Object.keys(schema["properties"] as object) : []);
  const inputFields = (id: string) => fieldsOf(def.nodes.find((n) => n.id === id)?.contract.input ?? catalogue.get(id)?.contract.input ?? {});
  const objectBinding = (fields: readonly string[]) =>
    fc.tuple(...fields.map((f) => refFor(f))).map((refs): BindingDef => ({ kind: "object", fields: Object.fromEntries(fields.map((f, i) => [f, refs[i] as BindingDef])) }));
  const condition = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: routeCase(def) },
    { weight: 1, arbitrary: fc.constantFrom({ kind: "otherwise" as const }, { kind: "error" as const }) },
  );
  const max = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });
  const edge: fc.Arbitrary<EdgeDef> = def.edges.length ? fc.constantFrom(...def.edges) : fc.constant({ from: ids[0] as string, to: ids[0] as string });

  const op: fc.Arbitrary<PatchOp> = fc.oneof(
    fc.constantFrom(...catalogueIds).chain((block) =>
      fc.record({ op: fc.constant("add_block" as const), block: fc.constant(block), id: fc.constantFrom(block, `${block}_2`), input: objectBinding(fieldsOf(catalogue.get(block)?.contract.input ?? {})) }),
    ),
    fc.record({ op: fc.constant("remove_block" as const), id: graphId }),
    fc.record({ op: fc.constant("connect" as const), from: anyId, to: anyId, when: condition, max }).map(clean),
    edge.map((e): PatchOp => clean({ op: "disconnect", from: e.from, to: e.to, when: e.when })),
    anyId.chain((block) => {
      const fields = inputFields(block);
      return fields.length ? fc.constantFrom(...fields).chain((field) => refFor(field).map((binding): PatchOp => ({ op: "bind", block, field, binding }))) : refFor(undefined).map((binding): PatchOp => ({ op: "bind", block, binding }));
    }),
    anyId.chain((block) => fc.constantFrom(undefined, ...inputFields(block)).map((field): PatchOp => clean({ op: "unbind", block, field }))),
    fc.constantFrom(...fieldsOf(def.contract.output), "extra").chain((field) => refFor(field).map((binding): PatchOp => ({ op: "bind_output", field, binding }))),
    fc.constantFrom(undefined, ...fieldsOf(def.contract.output)).map((field): PatchOp => clean({ op: "unbind_output", field })),
    fc.tuple(routeCase(def), anyId, anyId, max).map(([when, from, to, bound]): PatchOp => clean({ op: "set_case", from, field: when.field, equals: when.equals, to, max: bound })),
    fc.tuple(anyId, fc.option(anyId, { nil: null })).map(([from, to]): PatchOp => ({ op: "set_otherwise", from, to })),
    fc.tuple(edge, fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }), fc.option(fc.option(anyId, { nil: null }), { nil: undefined })).map(
      ([e, bound, exit]): PatchOp => clean({ op: "set_loop_bound", from: e.from, to: e.to, when: e.when, max: bound, onExhausted: exit }),
    ),
    fc.record({ op: fc.constant("replace_block" as const), id: graphId, block: fc.constantFrom(...catalogueIds) }),
    fc.subarray(ids, { minLength: 1 }).map((entry): PatchOp => ({ op: "set_entry", entry })),
  );
  return fc.array(op, { minLength: 1, maxLength: options.maxOps ?? 4 }).map((ops) => ({ ops }));
}

/** Refs to read: the graph input and its fields, and every block's (and catalogue block's) output and fields. */
function refsOf(def: GraphDef, catalogue: Catalogue): BindingDef[] {
  const fields = (schema: JsonSchema) => (typeof schema === "object" && schema["properties"] ? Object.keys(schema["properties"] as object) : []);
  const refs: BindingDef[] = [{ kind: "input", path: [] }, ...fields(def.contract.input).map((f): BindingDef => ({ kind: "input", path: [f] }))];
  const outputs = [...def.nodes.map((n) => [n.id, n.contract.output] as const), ...catalogue.entries.map((e) => [e.id, e.contract.output] as const)];
  for (const [node, output] of outputs) {
    refs.push({ kind: "output", node, path: [] });
    for (const f of fields(output)) refs.push({ kind: "output", node, path: [f] });
  }
  return refs;
}

/** Case conditions on the enum fields of the graph's blocks' outputs. */
function routeCase(def: GraphDef): fc.Arbitrary<{ kind: "case"; field: string; equals: string | number | boolean | null }> {
  const cases: { kind: "case"; field: string; equals: string | number | boolean | null }[] = [];
  for (const node of def.nodes) {
    const properties = typeof node.contract.output === "object" ? (node.contract.output["properties"] as Record<string, { enum?: unknown[] }> | undefined) : undefined;
    for (const [field, schema] of Object.entries(properties ?? {})) {
      for (const value of schema.enum ?? []) if (typeof value === "string") cases.push({ kind: "case", field, equals: value });
    }
  }
  return cases.length ? fc.constantFrom(...cases) : fc.constant({ kind: "case", field: "kind", equals: "x" });
}

/** Drops keys whose value is undefined (the patch schema has no `undefined`). */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
