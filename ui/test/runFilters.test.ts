import { describe, expect, it } from "vitest";
import { href, parseHash } from "../src/routing";
import { filtersFromQuery, filtersToQuery, matchesQuery, timeWindow, toRunQuery } from "../src/views/Runs/filters";
import { liveList } from "../src/views/Runs/usePagedRuns";
import { run } from "./backend";

describe("the Runs view's address", () => {
  it("keeps its filters in the query, commas readable, and reads them back", () => {
    const route = { view: "runs", automationId: "aut_1", query: { state: "failed,stopped", range: "7d" } } as const;
    expect(href(route)).toBe("#/automations/aut_1/runs?state=failed,stopped&range=7d");
    expect(parseHash(href(route))).toEqual(route);
    expect(parseHash("#/runs?state=failed")).toEqual({ view: "runs", query: { state: "failed" } });
    expect(parseHash("#/runs")).toEqual({ view: "runs" });
    expect(href({ view: "runs", query: {} })).toBe("#/runs");
  });
});

describe("run filters", () => {
  it("drop unknown values and keep the known order", () => {
    expect(filtersFromQuery({ state: "stopped,bogus,failed", trigger: "schedule", range: "forever" })).toEqual({
      states: ["failed", "stopped"],
      triggers: ["schedule"],
      range: "any",
      from: "",
      to: "",
    });
    expect(filtersFromQuery({ range: "custom", from: "2030-01-01", to: "nope" })).toMatchObject({ from: "2030-01-01", to: "" });
  });

  it("write only what narrows the list", () => {
    expect(filtersToQuery(filtersFromQuery({}))).toEqual({});
    expect(filtersToQuery({ states: ["failed"], triggers: [], range: "custom", from: "2030-01-01", to: "" })).toEqual({
      state: "failed",
      range: "custom",
      from: "2030-01-01",
    });
  });

  it("count days in local time: today from midnight, 30 days as today and the 29 before", () => {
    const now = new Date(2030, 5, 15, 13, 30);
    expect(timeWindow(filtersFromQuery({ range: "today" }), now)).toEqual({ since: new Date(2030, 5, 15).toISOString(), until: null });
    expect(timeWindow(filtersFromQuery({ range: "30d" }), now)).toEqual({ since: new Date(2030, 4, 17).toISOString(), until: null });
  });

  it("match a run the way the engine's query does", () => {
    const f = filtersFromQuery({ state: "failed", trigger: "schedule", range: "custom", from: "2030-01-01", to: "2030-01-01" });
    const q = toRunQuery(f, "aut_1", timeWindow(f));
    const noon = new Date(2030, 0, 1, 12).toISOString();
    expect(matchesQuery(run({ state: "failed", trigger: "schedule", queued_at: noon }), q)).toBe(true);
    expect(matchesQuery(run({ state: "failed", trigger: "manual", queued_at: noon }), q)).toBe(false);
    expect(matchesQuery(run({ state: "failed", trigger: "schedule", queued_at: new Date(2030, 0, 2).toISOString() }), q)).toBe(false);
    expect(matchesQuery(run({ state: "failed", trigger: "schedule", queued_at: noon, automation_id: "aut_2" }), q)).toBe(false);
  });
});

describe("the live list", () => {
  const r = (id: string, day: number, state: "succeeded" | "failed" = "succeeded") =>
    run({ id, state, queued_at: new Date(Date.UTC(2030, 0, day)).toISOString() });

  it("merges matching runs from events into the loaded pages, in order, within the loaded stretch", () => {
    const loaded = [r("run_5", 5), r("run_3", 3)];
    const all = new Map([...loaded, r("run_6", 6), r("run_4", 4), r("run_1", 1)].map((x) => [x.id, x]));
    const q = { automation_id: null, states: [], triggers: [], since: null, until: null };
    const ids = loaded.map((x) => x.id);
    expect(liveList(all, ids, q, true).map((x) => x.id)).toEqual(["run_6", "run_5", "run_4", "run_3"]);
    // The last page is in: everything that matches belongs.
    expect(liveList(all, ids, q, false).map((x) => x.id)).toEqual(["run_6", "run_5", "run_4", "run_3", "run_1"]);
  });

  it("drops a loaded run whose state no longer matches", () => {
    const all = new Map([["run_5", r("run_5", 5, "succeeded")]]);
    const q = { automation_id: null, states: ["failed" as const], triggers: [], since: null, until: null };
    expect(liveList(all, ["run_5"], q, false)).toEqual([]);
  });
});

describe("a run's first line", () => {
  it("reads markdown as plain words", async () => {
    const { plainLine } = await import("../src/format");
    expect(plainLine("The changelog has a **0.4.0** section")).toBe("The changelog has a 0.4.0 section");
    expect(plainLine("See [the docs](https://x.dev) and `cargo test`")).toBe("See the docs and cargo test");
    expect(plainLine("an _emphasis_ and snake_case_name")).toBe("an emphasis and snake_case_name");
  });
});
