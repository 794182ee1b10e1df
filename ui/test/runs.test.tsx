import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { automation, callsOf, emitEngine, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const rowOf = (id: string) => document.querySelector(`[data-run-id="${id}"]`) as HTMLElement;
const stateOf = (id: string) => within(rowOf(id)).getByTestId("run-state");

describe("run list", () => {
  it("follows run.updated events: a higher revision wins, a lower one is ignored", async () => {
    mockBackend({
      list_automations: () => [automation()],
      list_runs: () => ({ runs: [run({ revision: 2, state: "running" })], next_cursor: null }),
    });
    renderAt("#/automations/aut_1/runs");
    await waitFor(() => expect(stateOf("run_1")).toHaveTextContent("running"));

    await emitEngine({
      kind: "run.updated",
      payload: run({ revision: 3, state: "succeeded", finished_at: "2030-01-01T00:01:00Z" }),
    });
    expect(stateOf("run_1")).toHaveTextContent("succeeded");

    await emitEngine({ kind: "run.updated", payload: run({ revision: 2, state: "failed" }) });
    expect(stateOf("run_1")).toHaveTextContent("succeeded");
  });

  it("adds a new run of this automation at the top, and ignores other automations' runs", async () => {
    mockBackend({
      list_runs: () => ({ runs: [run({ state: "succeeded" })], next_cursor: null }),
    });
    renderAt("#/automations/aut_1/runs");
    await waitFor(() => expect(rowOf("run_1")).toBeTruthy());
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_2", state: "queued", queued_at: "2030-01-02T00:00:00Z" }) });
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_x", automation_id: "aut_2" }) });

    const rows = screen.getAllByTestId("run-row").map((r) => r.getAttribute("data-run-id"));
    expect(rows).toEqual(["run_2", "run_1"]);
  });

  it("loads older runs with the cursor of the previous page", async () => {
    const calls = mockBackend({
      list_runs: (a) =>
        a.cursor === null
          ? { runs: [run({ id: "run_2", queued_at: "2030-01-02T00:00:00Z", state: "succeeded" })], next_cursor: "c1" }
          : { runs: [run({ id: "run_1", state: "failed" })], next_cursor: null },
    });
    const { user } = renderAt("#/automations/aut_1/runs");
    await user.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByTestId("run-row")).toHaveLength(2));
    expect(callsOf(calls, "list_runs").at(-1)).toEqual({ automationId: "aut_1", states: [], cursor: "c1", limit: 50 });
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("asks the backend for the chosen state only", async () => {
    const calls = mockBackend();
    const { user } = renderAt("#/automations/aut_1/runs");
    await user.selectOptions(await screen.findByLabelText("Filter by state"), "failed");
    await waitFor(() => expect(callsOf(calls, "list_runs").at(-1)).toMatchObject({ states: ["failed"] }));
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
