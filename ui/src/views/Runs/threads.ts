import type { Run } from "../../api";

/** A run in a list laid out by thread, and how many follow-ups deep it sits. */
export interface ThreadedRun {
  run: Run;
  depth: number;
}

/**
 * Lays out `runs` (newest first) by thread, as the engine's `thread_order` does for the CLI:
 * a follow-up whose parent is in the list goes under it, and the thread takes the place of
 * its newest run, so it rises with its latest follow-up. Within a thread a run comes before
 * its follow-ups, follow-ups of one run oldest first. A follow-up whose parent is not in the
 * list (on a page not loaded yet, or filtered out) stands alone and links to it. Linear in
 * the runs held: it never needs the runs that are not loaded.
 */
export function threadOrder(runs: readonly Run[]): ThreadedRun[] {
  const position = new Map<string, number>();
  runs.forEach((run, i) => position.set(run.id, i));
  const parentOf = (i: number): number | undefined => {
    const of = runs[i].follow_up?.of;
    const p = of === undefined ? undefined : position.get(of);
    return p === i ? undefined : p;
  };
  let threaded = false;
  const children: number[][] = runs.map(() => []);
  // The list is newest first: walking it backwards gives each run's follow-ups oldest first.
  for (let i = runs.length - 1; i >= 0; i--) {
    const p = parentOf(i);
    if (p !== undefined) {
      children[p].push(i);
      threaded = true;
    }
  }
  // The usual list, without follow-ups to group, keeps its order and costs one pass.
  if (!threaded) return runs.map((run) => ({ run, depth: 0 }));

  const rootOf = (start: number) => {
    let i = start;
    // The engine cannot make a cycle; the bound keeps a corrupt one finite.
    for (let step = 0; step < runs.length; step++) {
      const p = parentOf(i);
      if (p === undefined) break;
      i = p;
    }
    return i;
  };
  const placed = new Array<boolean>(runs.length).fill(false);
  const rows: ThreadedRun[] = [];
  for (let i = 0; i < runs.length; i++) {
    const root = rootOf(i);
    if (placed[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    while (stack.length > 0) {
      const [at, depth] = stack.pop() as [number, number];
      if (placed[at]) continue;
      placed[at] = true;
      rows.push({ run: runs[at], depth });
      for (let c = children[at].length - 1; c >= 0; c--) stack.push([children[at][c], depth + 1]);
    }
  }
  runs.forEach((run, i) => {
    if (!placed[i]) rows.push({ run, depth: 0 });
  });
  return rows;
}
