/** The host functions the sandbox offers, by name (what `__host` accepts). */
export const HOST_FUNCTIONS = ["llm_query", "llm_batch", "blob_slice", "blob_search"] as const;

/** Most characters of the `answer` variable's JSON the host reads. */
const MAX_ANSWER_CHARS = 1_000_000;

/**
 * The guest-side prelude, run once in a new sandbox: it takes `__host` and `__print` out of the
 * global object (into a closure the guest cannot reach), defines the host functions as thin
 * wrappers that send JSON text and parse the JSON text they get back, seeds `Math.random`, and
 * returns the two helpers the worker uses to describe errors and read `answer`.
 */
export function bootstrapSource(seed: number): string {
  return `(function () {
  "use strict";
  var host = globalThis.__host, out = globalThis.__print;
  delete globalThis.__host;
  delete globalThis.__print;
  var stringify = JSON.stringify, parse = JSON.parse, StringOf = String, ErrorOf = Error, isArray = Array.isArray;
  function call(name, args) {
    var reply = parse(host(name, stringify(args)));
    if (reply.fatal !== undefined) throw new ErrorOf(reply.fatal);
    if (reply.error !== undefined) throw new ErrorOf(reply.error);
    return reply.value;
  }
  function show(value) {
    if (typeof value === "string") return value;
    try { var text = stringify(value, null, 2); return text === undefined ? StringOf(value) : text; } catch (e) { return StringOf(value); }
  }
  function print() {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) parts.push(show(arguments[i]));
    out(parts.join(" ") + "\\n");
  }
  globalThis.print = print;
  globalThis.console = { log: print, info: print, warn: print, error: print };
  globalThis.llm_query = function llm_query(prompt, data) { return call("llm_query", [prompt, data]); };
  globalThis.llm_batch = function llm_batch(prompts) { return call("llm_batch", [prompts]); };
  globalThis.blob_slice = function blob_slice(handle, start, end) { return call("blob_slice", [handle, start, end]); };
  globalThis.blob_search = function blob_search(handle, needle, options) { return call("blob_search", [handle, needle, options]); };
  globalThis.answer = { content: undefined, ready: false };
  var state = ${seed >>> 0 || 1};
  Math.random = function random() {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 4294967296;
  };
  return {
    describe: function (e) {
      try {
        if (e instanceof ErrorOf) return stringify({ name: StringOf(e.name), message: StringOf(e.message), stack: StringOf(e.stack || "") });
        var text = stringify(e);
        return stringify({ name: "thrown", message: text === undefined ? StringOf(e) : text });
      } catch (x) { return '{"name":"Error","message":"the cell threw a value that could not be described"}'; }
    },
    readAnswer: function () {
      var a = globalThis.answer;
      if (a === undefined || a === null || typeof a !== "object") return "null";
      var text = stringify({ content: a.content, ready: a.ready === true, error: a.error });
      return text.length > ${MAX_ANSWER_CHARS} ? stringify({ tooLarge: text.length }) : text;
    }
  };
})()`;
}

/** The setup cell: binds the block's input as `input`, and each top-level field as its own variable. */
export function bindingsSource(input: unknown, reserved: ReadonlySet<string>): { code: string; names: string[] } {
  const lines = [`var input = JSON.parse(${JSON.stringify(JSON.stringify(input ?? null))});`];
  const names: string[] = [];
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    for (const key of Object.keys(input)) {
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) || reserved.has(key) || RESERVED_WORDS.has(key)) continue;
      lines.push(`var ${key} = input[${JSON.stringify(key)}];`);
      names.push(key);
    }
  }
  return { code: lines.join("\n"), names };
}

const RESERVED_WORDS = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield await arguments eval undefined NaN Infinity globalThis JSON Math Object Array String Number Boolean Error print console answer input".split(
    " ",
  ),
);
