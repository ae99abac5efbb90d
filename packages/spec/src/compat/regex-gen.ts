/**
 * Produces a few strings that a regular expression probably matches.
 *
 * It only proposes witnesses: every string is tested with the real RegExp before anything relies
 * on it, so the parser may be partial (look-arounds and back-references give up) and approximate.
 */

type RNode =
  | { readonly t: "seq"; readonly items: readonly RNode[] }
  | { readonly t: "alt"; readonly options: readonly RNode[] }
  | { readonly t: "rep"; readonly node: RNode; readonly min: number; readonly max: number }
  | { readonly t: "chars"; readonly chars: readonly string[] };

const POOL = [
  ..."ab01AB_-. xyzXYZ",
  ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
  "é", "ß", "中", "😀", "\t", "\n",
];

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): RNode | null {
    const node = this.alternation();
    return node !== null && this.i === this.src.length ? node : null;
  }

  private alternation(): RNode | null {
    const options: RNode[] = [];
    for (;;) {
      const seq = this.sequence();
      if (seq === null) return null;
      options.push(seq);
      if (this.src[this.i] !== "|") break;
      this.i++;
    }
    return options.length === 1 ? (options[0] as RNode) : { t: "alt", options };
  }

  private sequence(): RNode | null {
    const items: RNode[] = [];
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      const atom = this.atom();
      if (atom === null) return null;
      const rep = this.quantifier();
      if (rep === "bad") return null;
      items.push(rep === null ? atom : { t: "rep", node: atom, min: rep[0], max: rep[1] });
    }
    return { t: "seq", items };
  }

  private atom(): RNode | null {
    const c = this.src[this.i] as string;
    if (c === "^" || c === "$") return (this.i++, { t: "seq", items: [] });
    if (c === "(") return this.group();
    if (c === "[") return this.charClass();
    if (c === ".") return (this.i++, classNode("."));
    if (c === "\\") return this.escape();
    if ("*+?".includes(c)) return null;
    const cp = this.src.codePointAt(this.i) as number;
    const ch = String.fromCodePoint(cp);
    this.i += ch.length;
    return { t: "chars", chars: [ch] };
  }

  private group(): RNode | null {
    this.i++;
    if (this.src[this.i] === "?") {
      const rest = this.src.slice(this.i, this.i + 3);
      if (rest.startsWith("?:")) this.i += 2;
      else if (rest.startsWith("?<") && rest !== "?<=" && rest !== "?<!") this.i = this.src.indexOf(">", this.i) + 1;
      else return null;
      if (this.i === 0) return null;
    }
    const inner = this.alternation();
    if (inner === null || this.src[this.i] !== ")") return null;
    this.i++;
    return inner;
  }

  private charClass(): RNode | null {
    const start = this.i;
    this.i++;
    if (this.src[this.i] === "^") this.i++;
    if (this.src[this.i] === "]") this.i++;
    while (this.i < this.src.length && this.src[this.i] !== "]") this.i += this.src[this.i] === "\\" ? 2 : 1;
    if (this.i >= this.src.length) return null;
    this.i++;
    const source = this.src.slice(start, this.i);
    const first = source[1] !== "^" && source[1] !== "\\" ? source.codePointAt(1) : undefined;
    return classNode(source, first === undefined ? [] : [String.fromCodePoint(first)]);
  }

  private escape(): RNode | null {
    const c = this.src[this.i + 1];
    if (c === undefined || /[1-9k]/.test(c)) return null;
    if (c === "b" || c === "B") return (this.i += 2, { t: "seq", items: [] });
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", "0": "\0" };
    if (c in simple) return (this.i += 2, { t: "chars", chars: [simple[c] as string] });
    const m = /^\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]+\}|[pP]\{[^}]*\}|c[a-zA-Z]|[dDwWsS])/.exec(this.src.slice(this.i));
    if (m !== null) {
      this.i += m[0].length;
      return classNode(m[0]);
    }
    const cp = this.src.codePointAt(this.i + 1) as number;
    const ch = String.fromCodePoint(cp);
    this.i += 1 + ch.length;
    return { t: "chars", chars: [ch] };
  }

  private quantifier(): readonly [number, number] | null | "bad" {
    const c = this.src[this.i];
    let q: readonly [number, number] | null = null;
    if (c === "*") q = [0, Infinity];
    else if (c === "+") q = [1, Infinity];
    else if (c === "?") q = [0, 1];
    if (q !== null) this.i++;
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (m === null) return null;
      const min = Number(m[1]);
      q = [min, m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3])];
      this.i += m[0].length;
    }
    if (q !== null && this.src[this.i] === "?") this.i++;
    return q !== null && q[0] > 1000 ? "bad" : q;
  }
}

function classNode(source: string, extra: readonly string[] = []): RNode {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, "u");
  } catch {
    return { t: "chars", chars: extra };
  }
  const chars = [...extra, ...POOL].filter((ch) => re.test(ch)).slice(0, 6);
  return { t: "chars", chars };
}

const EXTRA_REPS = [0, 1, 0, 1, 2, 0, 3, 1];

function generate(node: RNode, s: number, grow: { left: number }): string | null {
  switch (node.t) {
    case "chars":
      return node.chars.length === 0 ? null : (node.chars[Math.floor(s / 2) % node.chars.length] as string);
    case "alt":
      return generate(node.options[s % node.options.length] as RNode, s, grow);
    case "seq": {
      let out = "";
      for (const item of node.items) {
        const part = generate(item, s, grow);
        if (part === null) return null;
        out += part;
      }
      return out;
    }
    case "rep": {
      let count = Math.min(node.max, node.min + (EXTRA_REPS[s % EXTRA_REPS.length] as number));
      if (node.max === Infinity && grow.left > 0) [count, grow.left] = [count + grow.left, 0];
      let out = "";
      for (let k = 0; k < count; k++) {
        const part = generate(node.node, s + k, grow);
        if (part === null) return k >= node.min ? out : null;
        out += part;
      }
      return out;
    }
  }
}

/** Up to eight distinct strings built from the pattern, the first ones as short as possible. */
export function sampleStrings(pattern: string, minLength = 0): string[] {
  const tree = new Parser(pattern).parse();
  if (tree === null) return [];
  const out = new Set<string>();
  for (let s = 0; s < EXTRA_REPS.length; s++) {
    const base = generate(tree, s, { left: 0 });
    if (base === null) continue;
    out.add(base);
    const missing = minLength - [...base].length;
    if (missing > 0) {
      const grown = generate(tree, s, { left: missing });
      if (grown !== null) out.add(grown);
    }
  }
  return [...out];
}
