import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DayStats, RunStats } from "../src/bindings";
import { forgetOverview, prefetchOverview } from "../src/views/Overview/useOverview";
import { automation, callsOf, mockBackend } from "./backend";
import { setMedia } from "./media";
import { renderAt } from "./render";

// jsdom has no canvas: the charts are checked by what they hand Chart.js.
const charts = vi.hoisted(() => ({ made: [] as { type: string; data: { labels: string[]; datasets: { data: unknown[]; backgroundColor?: string; borderColor?: string }[] }; options: Record<string, unknown> }[], destroyed: 0 }));
vi.mock("chart.js", () => {
  class Chart {
    static register() {}
    constructor(_canvas: unknown, config: (typeof charts.made)[number]) {
      charts.made.push(config);
    }
    destroy() {
      charts.destroyed += 1;
    }
  }
  const part = {};
  return {
    Chart,
    BarController: part,
    BarElement: part,
    LineController: part,
    LineElement: part,
    PointElement: part,
    CategoryScale: part,
    LinearScale: part,
    Tooltip: part,
  };
});

beforeEach(() => {
  charts.made = [];
  charts.destroyed = 0;
  forgetOverview();
});

const day = (d: string, over: Partial<DayStats> = {}): DayStats => ({ day: d, runs: 0, succeeded: 0, failed: 0, stopped: 0, cost_usd: 0, ...over });

function stats(): RunStats {
  const days = Array.from({ length: 30 }, (_, i) => day(`2030-01-${String(i + 1).padStart(2, "0")}`));
  days[27] = day("2030-01-28", { runs: 4, succeeded: 3, failed: 1, cost_usd: 0.5 });
  days[29] = day("2030-01-30", { runs: 2, succeeded: 0, failed: 1, stopped: 1, cost_usd: 1.25 });
  return { days, runs: 6, succeeded: 3, failed: 2, cost_usd: 1.75, success_rate: 0.6 };
}

const latest = (type: string) => charts.made.filter((c) => c.type === type).at(-1);

describe("overview", () => {
  it("asks the engine for 30 days in the user's time zone and the next 24 hours", async () => {
    const calls = mockBackend({ run_stats: () => stats() });
    renderAt("#/overview");
    await screen.findByTestId("overview-totals");
    expect(callsOf(calls, "run_stats")[0]).toEqual({ days: 30, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
    expect(callsOf(calls, "upcoming_fires")[0]).toEqual({ hours: 24 });
    // The page never loads runs to count them.
    expect(callsOf(calls, "query_runs")).toEqual([]);
  });

  it("shows the totals, cost per day as bars and the success rate per day as a 0–100% line", async () => {
    mockBackend({ run_stats: () => stats() });
    renderAt("#/overview");
    const totals = await screen.findByTestId("overview-totals");
    expect(totals).toHaveTextContent("Runs6");
    expect(totals).toHaveTextContent("Success rate60%");
    expect(totals).toHaveTextContent("Cost$1.75");
    expect(within(totals).getByRole("link", { name: "2" })).toHaveAttribute("href", "#/runs?state=failed&range=30d");

    await waitFor(() => expect(latest("bar")).toBeDefined());
    const bar = latest("bar")!;
    expect(bar.data.labels).toHaveLength(30);
    expect(bar.data.datasets[0].data.slice(26)).toEqual([0, 0.5, 0, 1.25]);
    const line = latest("line")!;
    // A day with no finished run is a gap, not 0%.
    expect(line.data.datasets[0].data.slice(26)).toEqual([null, 75, null, 0]);
    expect(line.options.scales).toMatchObject({ y: { min: 0, max: 100 } });

    // The same numbers in words, for screen readers and anyone who wants them.
    expect(screen.getByTestId("cost-chart")).toHaveAccessibleName(/Cost per day, last 30 days: \$1\.75 in all, most on .*\(\$1\.25\)/);
    expect(screen.getByTestId("success-chart")).toHaveAccessibleName(/60% overall, on 2 days with finished runs/);
    const table = screen.getByRole("table", { name: "Runs per day" });
    const row = within(table).getAllByRole("row").find((r) => r.getAttribute("data-day") === "2030-01-28")!;
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toEqual(["4", "3", "1", "0", "75%", "$0.50"]);
  });

  it("draws the charts again in the dark theme's colours when the system switches", async () => {
    mockBackend({ run_stats: () => stats() });
    document.documentElement.style.setProperty("--accent", "#111111");
    await setMedia("(prefers-color-scheme: dark)", false);
    renderAt("#/overview");
    await waitFor(() => expect(latest("bar")?.data.datasets[0].backgroundColor).toBe("#111111"));
    const before = charts.made.length;

    document.documentElement.style.setProperty("--accent", "#222222");
    await setMedia("(prefers-color-scheme: dark)", true);
    await waitFor(() => expect(latest("bar")?.data.datasets[0].backgroundColor).toBe("#222222"));
    expect(charts.made.length).toBe(before + 2);
    expect(charts.destroyed).toBeGreaterThanOrEqual(2);
    document.documentElement.style.removeProperty("--accent");
  });

  it("says so in words when there were no runs and nothing is scheduled", async () => {
    mockBackend();
    renderAt("#/overview");
    expect(await screen.findByText(/No runs in the last 30 days/)).toBeInTheDocument();
    expect(screen.getByText("Nothing is scheduled to run in the next 24 hours.")).toBeInTheDocument();
    expect(charts.made).toEqual([]);
  });

  it("lays the next fires out on one lane per automation, each fire linking to its automation", async () => {
    const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const fires = [
      { automation_id: "aut_2", title: "Docs", at: soon(1) },
      { automation_id: "aut_1", title: "Nightly tests", at: soon(2) },
      { automation_id: "aut_2", title: "Docs", at: soon(13) },
    ];
    mockBackend({
      list_automations: () => [automation(), automation({ id: "aut_2", title: "Docs" })],
      upcoming_fires: () => ({ fires, truncated: true }),
    });
    renderAt("#/overview");
    const lanes = await screen.findAllByTestId("timeline-lane");
    expect(lanes.map((l) => l.getAttribute("data-automation-id"))).toEqual(["aut_2", "aut_1"]);
    expect(within(lanes[0]).getByRole("link", { name: "Docs" })).toHaveAttribute("href", "#/automations/aut_2/runs");
    expect(lanes[0]).toHaveTextContent("2 runs");
    const ticks = lanes[0].querySelectorAll<HTMLAnchorElement>("a.timeline-fire");
    expect([...ticks].map((t) => t.getAttribute("href"))).toEqual(["#/automations/aut_2/runs", "#/automations/aut_2/runs"]);
    // Placed by time: an hour in is about 1/24 of the way, thirteen hours about 13/24.
    const left = (t: HTMLElement) => parseFloat(t.style.left);
    expect(left(ticks[0])).toBeCloseTo(100 / 24, 0);
    expect(left(ticks[1])).toBeCloseTo((13 * 100) / 24, 0);
    expect(screen.getByText(/Some fires are left out/)).toBeInTheDocument();
  });
});

describe("overview figures loaded before the view opens", () => {
  it("draws the figures loaded in the background at once, then refreshes them", async () => {
    let answered = 0;
    const calls = mockBackend({
      run_stats: () => {
        answered += 1;
        return stats();
      },
    });
    prefetchOverview();
    await waitFor(() => expect(answered).toBe(1));
    // Let the prefetch's answer land before the view opens.
    await new Promise((r) => setTimeout(r, 0));
    renderAt("#/overview");
    // Drawn from what was loaded, in the first render's effects, before the view's own call.
    expect(latest("bar")).toBeDefined();
    expect(answered).toBe(1);
    expect(latest("bar")!.data.datasets[0].data.slice(26)).toEqual([0, 0.5, 0, 1.25]);
    await waitFor(() => expect(callsOf(calls, "run_stats")).toHaveLength(2));
  });
});
