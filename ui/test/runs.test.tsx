import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Run } from "../src/bindings";
import { automation, callsOf, emitEngine, mockBackend, run } from "./backend";
import { setMedia } from "./media";
import { renderAt } from "./render";

const rowOf = (id: string) => document.querySelector(`[data-run-id="${id}"]`) as HTMLElement;
const stateOf = (id: string) => within(rowOf(id)).getByTestId("run-state");
const findRow = (id: string) =>
  waitFor(() => {
    const row = rowOf(id);
    if (!row) throw new Error(`no row for ${id}`);
    return row;
  });
const shownIds = () => screen.getAllByTestId("run-row").map((r) => r.getAttribute("data-run-id"));
const page = (runs: Run[], next_cursor: string | null = null) => ({ runs, next_cursor });

describe("run list threads", () => {
  const followUp = (id: string, of: string, at: string) =>
    run({ id, state: "succeeded", follow_up: { of, message: `more for ${of}` }, queued_at: at });

  it("shows follow-ups under the run they continue, at the place of the newest", async () => {
    mockBackend({
      list_automations: () => [automation()],
      query_runs: () =>
        page([
          followUp("run_4", "run_2", "2030-01-04T00:00:00Z"),
          run({ id: "run_3", state: "succeeded", queued_at: "2030-01-03T00:00:00Z" }),
          followUp("run_2", "run_1", "2030-01-02T00:00:00Z"),
          run({ id: "run_1", state: "succeeded" }),
        ]),
    });
    renderAt("#/runs");
    await waitFor(() => expect(shownIds()).toEqual(["run_1", "run_2", "run_4", "run_3"]));
    expect(rowOf("run_1")).not.toHaveAttribute("data-thread-depth");
    expect(rowOf("run_2")).toHaveAttribute("data-thread-depth", "1");
    expect(rowOf("run_4")).toHaveAttribute("data-thread-depth", "2");
    expect(rowOf("run_3")).not.toHaveAttribute("data-thread-depth");
  });

  it("links a follow-up whose parent is not in the list to it", async () => {
    mockBackend({
      list_automations: () => [automation()],
      query_runs: () => page([followUp("run_9", "run_1", "2030-01-04T00:00:00Z")], "c1"),
    });
    renderAt("#/runs");
    const row = await findRow("run_9");
    expect(row).not.toHaveAttribute("data-thread-depth");
    expect(within(row).getByTestId("run-follow-up-of")).toHaveAttribute("href", "#/runs/run_1");
  });

  it("puts a follow-up that arrives by event under its parent", async () => {
    mockBackend({
      list_automations: () => [automation()],
      query_runs: () =>
        page([
          run({ id: "run_2", state: "succeeded", queued_at: "2030-01-02T00:00:00Z" }),
          run({ id: "run_1", state: "succeeded" }),
        ]),
    });
    renderAt("#/runs");
    await waitFor(() => expect(shownIds()).toEqual(["run_2", "run_1"]));
    await emitEngine({ kind: "run.updated", payload: { ...followUp("run_3", "run_1", "2030-01-03T00:00:00Z"), state: "queued" } });
    await waitFor(() => expect(shownIds()).toEqual(["run_1", "run_3", "run_2"]));
  });
});

describe("run list", () => {
  it("follows run.updated events: a higher revision wins, a lower one is ignored", async () => {
    mockBackend({
      list_automations: () => [automation()],
      query_runs: () => page([run({ revision: 2, state: "running" })]),
    });
    renderAt("#/automations/aut_1/runs");
    await waitFor(() => expect(stateOf("run_1")).toHaveAttribute("data-state", "running"));

    await emitEngine({
      kind: "run.updated",
      payload: run({ revision: 3, state: "succeeded", finished_at: "2030-01-01T00:01:00Z" }),
    });
    expect(stateOf("run_1")).toHaveAttribute("data-state", "succeeded");

    await emitEngine({ kind: "run.updated", payload: run({ revision: 2, state: "failed" }) });
    expect(stateOf("run_1")).toHaveAttribute("data-state", "succeeded");
  });

  it("adds a new run of this automation at the top, and ignores other automations' runs", async () => {
    mockBackend({ query_runs: () => page([run({ state: "succeeded" })]) });
    renderAt("#/automations/aut_1/runs");
    await waitFor(() => expect(rowOf("run_1")).toBeTruthy());
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_2", state: "queued", queued_at: "2030-01-02T00:00:00Z" }) });
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_x", automation_id: "aut_2" }) });
    expect(shownIds()).toEqual(["run_2", "run_1"]);
  });

  it("loads older runs with the cursor of the previous page", async () => {
    const calls = mockBackend({
      query_runs: (a) =>
        a.cursor === null
          ? page([run({ id: "run_2", queued_at: "2030-01-02T00:00:00Z", state: "succeeded" })], "c1")
          : page([run({ id: "run_1", state: "failed" })]),
    });
    const { user } = renderAt("#/automations/aut_1/runs");
    await user.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(shownIds()).toEqual(["run_2", "run_1"]));
    expect(callsOf(calls, "query_runs").at(-1)).toEqual({
      query: { automation_id: "aut_1", states: [], triggers: [], since: null, until: null },
      cursor: "c1",
      limit: 100,
    });
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("a run that arrives below the loaded page waits for its page", async () => {
    mockBackend({ query_runs: () => page([run({ id: "run_5", queued_at: "2030-01-05T00:00:00Z", state: "succeeded" })], "c1") });
    renderAt("#/runs");
    await waitFor(() => expect(shownIds()).toEqual(["run_5"]));
    // An older run (a late update of a run on page three, say) is not slotted in out of order.
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_old", queued_at: "2029-01-01T00:00:00Z" }) });
    expect(shownIds()).toEqual(["run_5"]);
  });

  it("lists every automation's runs with their title, trigger, times, cost, steps and first line", async () => {
    mockBackend({
      list_automations: () => [automation(), automation({ id: "aut_2", title: "Docs" })],
      query_runs: () =>
        page([
          run({
            id: "run_2",
            automation_id: "aut_2",
            trigger: "schedule",
            state: "succeeded",
            steps: 7,
            cost_usd: 0.42,
            result: "## Summary\nAll green.",
            queued_at: "2030-01-02T00:00:00Z",
            started_at: "2030-01-02T00:00:00Z",
            finished_at: "2030-01-02T00:02:05Z",
          }),
          run({ id: "run_1", state: "failed", trigger: "catch_up", error: { code: "step_cap", message: "hit the step cap\nmore" } }),
        ]),
    });
    renderAt("#/runs");
    await waitFor(() => expect(shownIds()).toEqual(["run_2", "run_1"]));
    const docs = rowOf("run_2");
    await waitFor(() => expect(docs).toHaveTextContent("Docs"));
    expect(docs).toHaveTextContent("Schedule");
    expect(docs).toHaveTextContent("2 min 5 s");
    expect(docs).toHaveTextContent("$0.42");
    expect(docs).toHaveTextContent("7");
    // The first line that says something, not the heading above it.
    expect(docs).toHaveTextContent("All green.");
    expect(docs).not.toHaveTextContent("Summary");
    expect(rowOf("run_1")).toHaveTextContent("Nightly tests");
    expect(rowOf("run_1")).toHaveTextContent("Catch-up");
    expect(rowOf("run_1")).toHaveTextContent("hit the step cap");
  });

  it("marks a follow-up, with what was asked of it until it has a result", async () => {
    mockBackend({
      list_automations: () => [automation()],
      query_runs: () =>
        page([
          run({ id: "run_3", state: "running", follow_up: { of: "run_2", message: "now the **lint** warning" } }),
          run({ id: "run_2", state: "succeeded", result: "Fixed.", follow_up: { of: "run_1", message: "and the docs" } }),
          run({ id: "run_1", state: "succeeded", result: "Tests fixed." }),
        ]),
    });
    renderAt("#/runs");
    // A thread: the first run, then its follow-ups in order.
    await waitFor(() => expect(shownIds()).toEqual(["run_1", "run_2", "run_3"]));
    const asking = rowOf("run_3");
    expect(asking).toHaveTextContent("Follow-up");
    expect(asking).toHaveTextContent("↳ now the lint warning");
    expect(rowOf("run_2")).toHaveTextContent("Follow-up");
    expect(rowOf("run_2")).toHaveTextContent("Fixed.");
    expect(rowOf("run_1")).toHaveTextContent("Manual");
    expect(rowOf("run_1")).not.toHaveTextContent("Follow-up");
  });

  it("a state filter goes to the URL and to the engine's query, and leaves out runs that stop matching", async () => {
    const calls = mockBackend({
      query_runs: (a) => {
        const q = a.query as { states: string[] };
        return page(q.states.includes("running") ? [run({ state: "running" })] : []);
      },
    });
    const { user } = renderAt("#/automations/aut_1/runs");
    await screen.findByText(/No runs yet/);
    await user.click(screen.getByRole("checkbox", { name: "Running" }));
    await waitFor(() => expect(window.location.hash).toBe("#/automations/aut_1/runs?state=running"));
    await waitFor(() => expect(shownIds()).toEqual(["run_1"]));
    expect(callsOf(calls, "query_runs").at(-1)).toMatchObject({ query: { automation_id: "aut_1", states: ["running"] } });

    // The run ends: it no longer matches "running".
    await emitEngine({ kind: "run.updated", payload: run({ revision: 2, state: "succeeded" }) });
    expect(screen.queryAllByTestId("run-row")).toHaveLength(0);
    expect(screen.getByText("No run matches these filters.")).toBeInTheDocument();
  });

  it("filters in the URL survive a reload: states, triggers and the last 7 days", async () => {
    const calls = mockBackend();
    renderAt("#/runs?state=failed,stopped&trigger=schedule,catch_up&range=7d");
    expect(await screen.findByRole("checkbox", { name: "Failed" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Stopped" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Succeeded" })).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Schedule" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Manual" })).not.toBeChecked();
    expect(screen.getByLabelText("When")).toHaveValue("7d");

    const today = new Date();
    const sixDaysAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
    await waitFor(() =>
      expect(callsOf(calls, "query_runs").at(-1)).toEqual({
        query: {
          automation_id: null,
          states: ["failed", "stopped"],
          triggers: ["schedule", "catch_up"],
          since: sixDaysAgo.toISOString(),
          until: null,
        },
        cursor: null,
        limit: 100,
      }),
    );
  });

  it("a custom range asks for runs from the first day's start to the last day's end, in local time", async () => {
    const calls = mockBackend();
    const { user } = renderAt("#/runs?range=custom&from=2030-03-01&to=2030-03-31");
    expect(await screen.findByLabelText("From")).toHaveValue("2030-03-01");
    await waitFor(() =>
      expect(callsOf(calls, "query_runs").at(-1)).toMatchObject({
        query: { since: new Date(2030, 2, 1).toISOString(), until: new Date(2030, 3, 1).toISOString() },
      }),
    );
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(window.location.hash).toBe("#/runs"));
  });

  it("the automation select narrows the list to one automation's runs", async () => {
    const calls = mockBackend({ list_automations: () => [automation(), automation({ id: "aut_2", title: "Docs" })] });
    const { user } = renderAt("#/runs?state=failed");
    await user.selectOptions(await screen.findByLabelText("Automation"), "aut_2");
    await waitFor(() => expect(window.location.hash).toBe("#/automations/aut_2/runs?state=failed"));
    await waitFor(() => expect(callsOf(calls, "query_runs").at(-1)).toMatchObject({ query: { automation_id: "aut_2", states: ["failed"] } }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Docs");
  });

  it("clicking a run opens its page on a narrow window", async () => {
    mockBackend({
      query_runs: () => page([run({ state: "succeeded" })]),
      get_run: () => ({ run: run({ state: "succeeded" }), transcript: [] }),
    });
    const { user } = renderAt("#/runs");
    await user.click(await findRow("run_1"));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_1"));
  });

  it("on a wide window a run opens beside the list, and j/k move the pane through the runs", async () => {
    await setMedia("(min-width: 1400px)", true);
    mockBackend({
      query_runs: () =>
        page([
          run({ id: "run_2", state: "failed", queued_at: "2030-01-02T00:00:00Z" }),
          run({ id: "run_1", state: "succeeded" }),
        ]),
      get_run: (a) => ({ run: run({ id: a.runId as string, state: a.runId === "run_2" ? "failed" : "succeeded" }), transcript: [] }),
    });
    const { user } = renderAt("#/runs");
    await user.click(await findRow("run_2"));
    const pane = await screen.findByTestId("run-pane");
    expect(window.location.hash).toBe("#/runs");
    await waitFor(() => expect(within(pane).getByRole("link", { name: "Open full page" })).toHaveAttribute("href", "#/runs/run_2"));

    await user.keyboard("j");
    await waitFor(() =>
      expect(within(screen.getByTestId("run-pane")).getByRole("link", { name: "Open full page" })).toHaveAttribute("href", "#/runs/run_1"),
    );
    expect(rowOf("run_1")).toHaveAttribute("data-selected", "true");

    // A new run on top does not move the selection off the run shown.
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_3", state: "queued", queued_at: "2030-01-03T00:00:00Z" }) });
    expect(shownIds()).toEqual(["run_3", "run_2", "run_1"]);
    expect(rowOf("run_1")).toHaveAttribute("data-selected", "true");

    await user.keyboard("{Enter}");
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_1"));
  });

  it("renders only the rows on screen of a long list", async () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      run({ id: `run_${String(100000 - i)}`, state: "succeeded", queued_at: new Date(Date.UTC(2030, 0, 1) - i * 60_000).toISOString() }),
    );
    mockBackend({ query_runs: () => page(many, "more") });
    renderAt("#/runs");
    await waitFor(() => expect(screen.getAllByTestId("run-row").length).toBeGreaterThan(0));
    const rows = screen.getAllByTestId("run-row");
    expect(rows.length).toBeLessThan(100);
    expect(rows[0]).toHaveAttribute("aria-setsize", "3000");
  });

  it("keeps a deleted automation out of the list even if a late update arrives", async () => {
    mockBackend({ list_automations: () => [automation({ revision: 2 })] });
    renderAt("#/automations");
    await screen.findByTestId("automation-row");
    await emitEngine({ kind: "automation.deleted", payload: { id: "aut_1", revision: 3 } });
    await emitEngine({ kind: "automation.updated", payload: automation({ revision: 3, title: "Late" }) });
    expect(screen.queryByTestId("automation-row")).not.toBeInTheDocument();
  });
});

describe("an automation the engine paused", () => {
  it("says why at the top of its runs and Resume resumes it", async () => {
    const calls = mockBackend({
      list_automations: () => [
        automation({
          trigger: { kind: "interval", every_ms: 3_600_000 },
          paused: true,
          paused_reason: "failure_streak",
          failure_streak: 5,
          failure_streak_limit: 5,
        }),
      ],
      set_paused: () => automation({ trigger: { kind: "interval", every_ms: 3_600_000 }, revision: 2 }),
    });
    const { user } = renderAt("#/automations/aut_1/runs");
    const banner = await screen.findByTestId("paused-banner");
    expect(banner).toHaveTextContent("Paused after 5 failed runs in a row");
    await user.click(within(banner).getByRole("button", { name: "Resume Nightly tests" }));
    await waitFor(() => expect(callsOf(calls, "set_paused")).toEqual([{ id: "aut_1", paused: false }]));
    await waitFor(() => expect(screen.queryByTestId("paused-banner")).not.toBeInTheDocument());
  });
});
