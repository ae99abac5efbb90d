import { setMaxListeners } from "node:events";
import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { KB_TEXT, S } from "./graphs.js";

// The same graphs on LangGraph (the dependency is in the stack), with the same zod parses in each node.

// LangGraph adds an abort listener per Send task; 100 of them trip Node's leak warning otherwise.
setMaxListeners(1_000);

const ChainState = Annotation.Root({ n: Annotation<number> });

// biome-ignore lint: LangGraph's builder types change with every node added.
type Builder = any;

export function langgraphChain(len: number, checkpointer?: SqliteSaver) {
  const g: Builder = new StateGraph(ChainState);
  for (let i = 0; i < len; i++) g.addNode(`s${i}`, async (s: { n: number }) => S.parse({ n: S.parse({ n: s.n }).n + 1 }));
  g.addEdge(START, "s0");
  for (let i = 1; i < len; i++) g.addEdge(`s${i - 1}`, `s${i}`);
  g.addEdge(`s${len - 1}`, END);
  return g.compile(checkpointer ? { checkpointer } : {});
}

const GrowingState = Annotation.Root({
  n: Annotation<number>,
  texts: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Each step adds ~1 KB to the state, as in the Blockwork growing graph. */
export function langgraphGrowing(len: number, checkpointer: SqliteSaver) {
  const g: Builder = new StateGraph(GrowingState);
  for (let i = 0; i < len; i++) g.addNode(`s${i}`, async (s: { n: number }) => ({ n: S.parse({ n: s.n }).n + 1, texts: [KB_TEXT] }));
  g.addEdge(START, "s0");
  for (let i = 1; i < len; i++) g.addEdge(`s${i - 1}`, `s${i}`);
  g.addEdge(`s${len - 1}`, END);
  return g.compile({ checkpointer });
}

const FanState = Annotation.Root({
  items: Annotation<{ n: number }[]>,
  results: Annotation<{ n: number }[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  n: Annotation<number>,
});

/** Fan-out with Send to one node per item, then a join node that sums. */
export function langgraphFanOut() {
  const g: Builder = new StateGraph(FanState);
  g.addNode("square", async (item: { n: number }) => ({ results: [S.parse({ n: S.parse(item).n ** 2 })] }));
  g.addNode("sum", async (s: { results: { n: number }[] }) => ({ n: s.results.reduce((t, r) => t + r.n, 0) }));
  g.addConditionalEdges(START, (s: { items: { n: number }[] }) => s.items.map((item) => new Send("square", item)));
  g.addEdge("square", "sum");
  g.addEdge("sum", END);
  return g.compile();
}

export { SqliteSaver };
