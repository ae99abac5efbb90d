import { createGraph, defineContract, type GraphBlock, mapOf, type RestartDef, type SupervisionStrategy } from "@blockwork/spec";
import { z } from "zod";

/** The contract every benchmark step uses: a small object, validated on the way in and out. */
export const S = z.object({ n: z.number() });
export type Step = (input: { n: number }) => Promise<{ n: number }>;

/** A chain of `len` async steps as a Blockwork graph; `supervised` gives every block a restart policy. */
export function chainGraph(len: number, step: Step = async ({ n }) => ({ n: n + 1 }), supervised?: { restart: RestartDef; strategy: SupervisionStrategy }): GraphBlock {
  // biome-ignore lint: a chain of any length is built in a loop.
  let g: any = createGraph({ id: `chain-${len}`, input: S, output: S, ...(supervised ? { supervision: { strategy: supervised.strategy } } : {}) });
  const options = supervised ? { restart: supervised.restart } : {};
  for (let i = 0; i < len; i++) g = g.then(defineContract({ id: `s${i}`, input: S, output: S }).implement(step), options);
  return g.output((_: unknown, r: Record<string, unknown>) => r[`s${len - 1}`]).build();
}

/** The same chain as plain async functions with the same zod parses: the floor. */
export function plainChain(len: number, step: Step = async ({ n }) => ({ n: n + 1 })) {
  return async (input: { n: number }) => {
    let value = S.parse(input);
    for (let i = 0; i < len; i++) value = S.parse(await step(S.parse(value)));
    return value;
  };
}

/** Fan-out to `width` items run at once, then a join that sums them. */
export function fanOutGraph(width: number): GraphBlock {
  const square = defineContract({ id: "square", input: S, output: S }).implement(async ({ n }) => ({ n: n * n }));
  const sum = defineContract({ id: "sum", input: z.object({ results: z.array(S) }), output: S }).implement(({ results }) => ({
    n: results.reduce((total, r) => total + r.n, 0),
  }));
  return createGraph({ id: `fan-${width}`, input: z.object({ items: z.array(S) }), output: S })
    .then(mapOf(square, { id: "each", concurrency: width }), (input) => ({ items: input.items }))
    .then(sum)
    .output((_, { sum }) => sum)
    .build();
}

export function plainFanOut() {
  const Items = z.object({ items: z.array(S) });
  return async (input: { items: { n: number }[] }) => {
    const { items } = Items.parse(input);
    const results = await Promise.all(items.map(async (item) => S.parse(await (async ({ n }: { n: number }) => ({ n: n * n }))(S.parse(item)))));
    return S.parse({ n: results.reduce((total, r) => total + r.n, 0) });
  };
}

/** A chain whose steps each add about 1 KB to the state: journal size against checkpoint size. */
export const KB_TEXT = "x".repeat(1000);
export const Growing = z.object({ n: z.number(), text: z.string() });
export function growingGraph(len: number): GraphBlock {
  // biome-ignore lint: a chain of any length is built in a loop.
  let g: any = createGraph({ id: `growing-${len}`, input: S, output: S });
  for (let i = 0; i < len; i++) {
    g = g.then(
      defineContract({ id: `s${i}`, input: S, output: Growing }).implement(async ({ n }) => ({ n: n + 1, text: KB_TEXT })),
      i === 0 ? (input: { n: unknown }) => ({ n: input.n }) : (_: unknown, r: Record<string, { n: unknown }>) => ({ n: (r[`s${i - 1}`] as { n: unknown }).n }),
    );
  }
  return g.output((_: unknown, r: Record<string, { n: unknown }>) => ({ n: (r[`s${len - 1}`] as { n: unknown }).n })).build();
}
