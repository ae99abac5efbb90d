// Dominators, shared by the checker's flow analysis (check/flow.ts) and the diff's structure
// (diff/structure.ts).

/**
 * Immediate dominators, by Cooper, Harvey and Kennedy's iterative algorithm. `order` is a reverse
 * postorder of the vertices reachable from `start`, `position` each vertex's index in it;
 * `eachPredecessor(v, visit)` visits the sources of `v`'s edges. One pass is exact when those
 * edges form a DAG (`untilStable: false`); otherwise passes repeat until nothing changes.
 * Unreachable vertices keep -1.
 */
export function immediateDominators(
  size: number,
  start: number,
  order: readonly number[],
  position: ArrayLike<number>,
  eachPredecessor: (v: number, visit: (p: number) => void) => void,
  untilStable: boolean,
): Int32Array {
  const idom = new Int32Array(size).fill(-1);
  idom[start] = start;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((position[a] as number) > (position[b] as number)) a = idom[a] as number;
      while ((position[b] as number) > (position[a] as number)) b = idom[b] as number;
    }
    return a;
  };
  let d = -1;
  const visit = (p: number) => {
    if (idom[p] !== -1) d = d === -1 ? p : intersect(d, p);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of order) {
      if (v === start) continue;
      d = -1;
      eachPredecessor(v, visit);
      if (d !== -1 && d !== idom[v]) {
        idom[v] = d;
        changed = untilStable;
      }
    }
  }
  return idom;
}

/**
 * The dominator tree numbered in pre- and postorder (iteratively: no deep recursion on long
 * chains), so that `a` dominates `b` exactly when `pre[a] <= pre[b] && post[b] <= post[a]`.
 */
export function numberDominatorTree(size: number, start: number, order: readonly number[], idom: Int32Array): [pre: Int32Array, post: Int32Array] {
  const children: number[][] = Array.from({ length: size }, () => []);
  for (const v of order) if (v !== start) children[idom[v] as number]?.push(v);
  const pre = new Int32Array(size).fill(-1);
  const post = new Int32Array(size).fill(-1);
  let clock = 0;
  const stack: [number, number][] = [[start, 0]];
  pre[start] = clock++;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as [number, number];
    const kids = children[top[0]] as number[];
    if (top[1] < kids.length) {
      const c = kids[top[1]++] as number;
      pre[c] = clock++;
      stack.push([c, 0]);
    } else {
      post[top[0]] = clock++;
      stack.pop();
    }
  }
  return [pre, post];
}
