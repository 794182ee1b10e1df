import { describe, expect, it } from "vitest";
import { threadOrder } from "../src/views/Runs/threads";
import { run } from "./backend";

const r = (id: string, of?: string) => run({ id, follow_up: of ? { of, message: "more" } : null });
const layout = (runs: ReturnType<typeof r>[]) => threadOrder(runs).map(({ run, depth }) => [run.id, depth]);

describe("threadOrder", () => {
  it("matches the engine's layout: the thread at its newest run, follow-ups oldest first", () => {
    // The same case as the engine's thread_order test.
    expect(layout([r("e"), r("d", "b"), r("c", "a"), r("b", "a"), r("a")])).toEqual([
      ["e", 0],
      ["a", 0],
      ["b", 1],
      ["d", 2],
      ["c", 1],
    ]);
  });

  it("keeps a list without threads as it is", () => {
    const runs = [r("c"), r("b"), r("a")];
    expect(threadOrder(runs).map((row) => row.run)).toEqual(runs);
  });

  it("lists every run once even through a corrupt cycle", () => {
    expect(layout([r("b", "a"), r("a", "b")]).map(([id]) => id).sort()).toEqual(["a", "b"]);
  });

  // At the Runs list's scale: every run once, each follow-up right under its parent. (How
  // fast is for benchmarks, not tests.)
  it("lays out 100k runs, each once, follow-ups under their parent", () => {
    const runs = Array.from({ length: 100_000 }, (_, i) => r(`run_${100_000 - i}`, i % 10 === 0 && i > 0 ? `run_${100_000 - i + 1}` : undefined));
    const rows = threadOrder(runs);
    expect(new Set(rows.map((row) => row.run.id)).size).toBe(100_000);
    rows.forEach((row, at) => {
      const of = row.run.follow_up?.of;
      if (of) {
        expect(row.depth).toBe(1);
        expect(rows[at - 1].run.id).toBe(of);
      }
    });
  });
});
