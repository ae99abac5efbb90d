/**
 * The strongly connected components of a directed graph on vertices `0..size-1` (Tarjan's
 * algorithm, iterative so that long chains do not overflow the call stack). `visit` gets each
 * component as it completes, in reverse topological order: every component reachable from it has
 * been visited before. Members are in the order they leave Tarjan's stack; the last is the
 * component's root (the vertex the walk entered it by). Vertices for which `include` is false are
 * not walked from (they are still walked through when reached).
 *
 * The checker (unbounded cycles) and the diff (reachability closure) both use it.
 */
export function forEachComponent(size: number, successors: (v: number) => readonly number[], visit: (members: number[]) => void, include?: (v: number) => boolean): void {
  const order = new Int32Array(size).fill(-1);
  const low = new Int32Array(size);
  const onStack = new Uint8Array(size);
  const stack: number[] = [];
  let counter = 0;
  for (let root = 0; root < size; root++) {
    if (order[root] !== -1 || (include !== undefined && !include(root))) continue;
    const work: [number, readonly number[], number][] = [[root, successors(root), 0]];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1] as [number, readonly number[], number];
      const [v, next] = frame;
      if (frame[2] < next.length) {
        const w = next[frame[2]++] as number;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, successors(w), 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v] as number, order[w] as number);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] !== order[v]) continue;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        members.push(w);
      } while (w !== v);
      visit(members);
    }
  }
}
