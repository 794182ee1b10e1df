import { describe, expect, it } from "vitest";
import { RevisionMap } from "../src/stores/revisionMap";

describe("RevisionMap", () => {
  it("keeps the highest revision whatever the arrival order", () => {
    const m = new RevisionMap<{ id: string; revision: number; v: string }>();
    m.upsert({ id: "a", revision: 2, v: "two" });
    expect(m.upsert({ id: "a", revision: 1, v: "one" })).toBe(false);
    expect(m.byId("a")?.v).toBe("two");
    m.upsert({ id: "a", revision: 3, v: "three" });
    expect(m.byId("a")?.v).toBe("three");
  });

  it("a deletion fences later updates up to its revision", () => {
    const m = new RevisionMap<{ id: string; revision: number }>();
    m.upsert({ id: "a", revision: 1 });
    m.remove("a", 4);
    m.upsert({ id: "a", revision: 3 });
    m.replaceAll([{ id: "a", revision: 4 }]);
    expect(m.byId("a")).toBeUndefined();
  });

  it("a reload keeps newer copies and drops what is no longer listed", () => {
    const m = new RevisionMap<{ id: string; revision: number }>();
    m.upsertMany([{ id: "a", revision: 5 }, { id: "b", revision: 1 }]);
    m.replaceAll([{ id: "a", revision: 4 }]);
    expect([...m.get().values()]).toEqual([{ id: "a", revision: 5 }]);
  });
});
