import { lookupPath } from "../check/schema-path.js";
import type { BindingDef, GraphDef, JsonSchema, JsonValue, NodeDef } from "../def/graph-def.js";
import { formatBinding } from "./notation.js";
import { done, nodeIndex, type OpResult, refuse, type Refusal, unknownIds, withNode } from "./op-result.js";
import type { PatchOp } from "./patch-schema.js";

type OpOf<$Name extends PatchOp["op"]> = Extract<PatchOp, { op: $Name }>;

/** Whose binding an operation changes: a block's input, or the graph's output. */
interface Reader {
  readonly binding: BindingDef | undefined;
  /** The schema the binding feeds (a block's input, the graph's output). */
  readonly target: JsonSchema;
  /** `block "x"` or `the graph output`, for messages. */
  readonly name: string;
  readonly opName: string;
}

export function bind(def: GraphDef, op: OpOf<"bind">): OpResult {
  return onNode(def, op.block, "bind", (reader) => setField(def, reader, op.field, op.binding));
}

export function unbind(def: GraphDef, op: OpOf<"unbind">): OpResult {
  return onNode(def, op.block, "unbind", (reader) => removeField(def, reader, op.field));
}

export function bindOutput(def: GraphDef, op: OpOf<"bind_output">): OpResult {
  const next = setField(def, outputReader(def, "bind_output"), op.field, op.binding);
  return "refusal" in next ? refuse(next.refusal) : done(withOutput(def, next.binding));
}

export function unbindOutput(def: GraphDef, op: OpOf<"unbind_output">): OpResult {
  const next = removeField(def, outputReader(def, "unbind_output"), op.field);
  return "refusal" in next ? refuse(next.refusal) : done(withOutput(def, next.binding));
}

type Next = { readonly binding: BindingDef | undefined } | { readonly refusal: Refusal };

function onNode(def: GraphDef, id: string, opName: string, change: (reader: Reader) => Next): OpResult {
  const unknown = unknownIds(def, [id], opName);
  if (unknown.length) return refuse(...unknown);
  const index = nodeIndex(def, id);
  const node = def.nodes[index] as NodeDef;
  const next = change({ binding: node.input, target: node.contract.input, name: `block "${id}"`, opName });
  return "refusal" in next ? refuse(next.refusal) : done(withNode(def, index, withInput(node, next.binding)));
}

function outputReader(def: GraphDef, opName: string): Reader {
  return { binding: def.output, target: def.contract.output, name: "the graph output", opName };
}

function setField(def: GraphDef, reader: Reader, field: string | undefined, binding: BindingDef): Next {
  if (field === undefined) return { binding };
  const fields = fieldsOf(def, reader);
  if ("refusal" in fields) return fields;
  return { binding: { kind: "object", fields: { ...fields.fields, [field]: binding } } };
}

function removeField(def: GraphDef, reader: Reader, field: string | undefined): Next {
  if (reader.binding === undefined) {
    return { refusal: { code: "no_such_binding", message: `${reader.opName}: ${reader.name} has no binding${field === undefined ? "" : ` for "${field}"`}: nothing to remove.` } };
  }
  if (field === undefined) return { binding: undefined };
  const fields = fieldsOf(def, reader);
  if ("refusal" in fields) return fields;
  if (!Object.hasOwn(fields.fields, field)) {
    const bound = Object.keys(fields.fields);
    return { refusal: { code: "no_such_binding", message: `${reader.opName}: ${reader.name} has no binding for "${field}" (bound: ${bound.join(", ") || "none"}).` } };
  }
  const { [field]: _removed, ...rest } = fields.fields;
  // An object binding with no field left binds nothing: the same as no binding.
  return { binding: Object.keys(rest).length ? { kind: "object", fields: rest } : undefined };
}

/**
 * The reader's binding as one binding per field. A whole-value binding (`input`, a block's output,
 * an object literal) is spread over the fields the target declares that its source can have, so
 * that one field can then be set or removed and the others keep their sources.
 */
function fieldsOf(def: GraphDef, reader: Reader): { fields: Readonly<Record<string, BindingDef>> } | { refusal: Refusal } {
  const binding = reader.binding;
  if (binding === undefined) return { fields: {} };
  const cannot = (why: string): { refusal: Refusal } => ({
    refusal: {
      code: "cannot_expand_binding",
      message: `${reader.opName}: ${reader.name} is bound as a whole (${truncate(formatBinding(binding))}), and ${why}. Bind it as a whole instead (omit "field").`,
    },
  });
  const declared = declaredFields(reader.target);
  switch (binding.kind) {
    case "object":
      return { fields: binding.fields };
    case "first":
      return cannot("a firstOf(...) cannot be split into fields");
    case "literal": {
      const value = binding.value;
      if (typeof value !== "object" || value === null || Array.isArray(value)) return cannot("the literal is not an object");
      return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, { kind: "literal", value: v as JsonValue }])) };
    }
    case "input":
    case "output": {
      if (declared === undefined) return cannot("its schema does not list its fields");
      const source = binding.kind === "input" ? def.contract.input : def.nodes.find((n) => n.id === binding.node)?.contract.output;
      if (source === undefined) return cannot(`it reads block "${(binding as { node: string }).node}", which is not in the graph`);
      const fields: Record<string, BindingDef> = {};
      for (const field of declared) {
        const path = [...binding.path, field];
        // A field its source never has is left out; one the checker cannot decide is kept (it says so).
        if (lookupPath(source, path, { readsParsed: binding.kind === "input" }).kind === "missing") continue;
        fields[field] = { ...binding, path };
      }
      return { fields };
    }
  }
}

function declaredFields(schema: JsonSchema): string[] | undefined {
  if (typeof schema !== "object") return undefined;
  const properties = schema["properties"];
  return typeof properties === "object" && properties !== null ? Object.keys(properties) : undefined;
}

function withInput(node: NodeDef, binding: BindingDef | undefined): NodeDef {
  const { input: _input, ...rest } = node;
  return (binding === undefined ? rest : { ...rest, input: binding }) as NodeDef;
}

function withOutput(def: GraphDef, binding: BindingDef | undefined): GraphDef {
  const { output: _output, ...rest } = def;
  return binding === undefined ? rest : { ...rest, output: binding };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
