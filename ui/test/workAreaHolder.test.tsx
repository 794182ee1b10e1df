import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { WorkAreaHolder } from "../src/bindings";
import { formatDateTime } from "../src/format";
import { callsOf, mockBackend, run, type Handler } from "./backend";
import { renderAt } from "./render";

const busy = run({ state: "stopped", stop_reason: "writer_busy", steps: 0, finished_at: "2030-01-01T00:00:02Z" });
const holder: WorkAreaHolder = {
  run_id: "run_0",
  automation_id: "aut_2",
  automation_title: "Weekly cleanup",
  state: "running",
  since: "2029-12-31T23:50:00Z",
  until: null,
};

function busyRun(handlers: Record<string, Handler> = {}) {
  return mockBackend({
    get_run: () => ({ run: busy, transcript: [] }),
    get_work_area_holder: () => holder,
    ...handlers,
  });
}

describe("the run that held a busy work area", () => {
  it("links to the holder, says since when, and Cancel that run cancels it", async () => {
    const calls = busyRun({
      cancel_run: (a) =>
        run({
          id: a.runId as string,
          automation_id: "aut_2",
          state: "stopped",
          stop_reason: "cancelled",
          revision: 9,
          started_at: holder.since,
          finished_at: "2030-01-01T00:03:00Z",
        }),
    });
    const { user } = renderAt("#/runs/run_1");
    const line = await screen.findByTestId("work-area-holder");
    const since = formatDateTime(holder.since);
    expect(line).toHaveTextContent(`The work area was held by another run: Weekly cleanup, running since ${since}.`);
    expect(within(line).getByRole("link", { name: "Weekly cleanup" })).toHaveAttribute("href", "#/runs/run_0");
    expect(callsOf(calls, "get_work_area_holder")).toEqual([{ runId: "run_1" }]);

    await user.click(within(line).getByRole("button", { name: "Cancel that run" }));
    await waitFor(() =>
      expect(line).toHaveTextContent(`ran from ${since} to ${formatDateTime("2030-01-01T00:03:00Z")}.`),
    );
    expect(callsOf(calls, "cancel_run")).toEqual([{ runId: "run_0" }]);
    expect(within(line).queryByRole("button", { name: "Cancel that run" })).not.toBeInTheDocument();
    // This run is still the one shown, stopped because the work area was busy.
    expect(screen.getByTestId("run-result")).toHaveTextContent("Stopped: the work area was busy");
  });

  it("offers no cancel once the holder has ended", async () => {
    busyRun({ get_work_area_holder: () => ({ ...holder, state: "succeeded", until: "2030-01-01T00:10:00Z" }) });
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("work-area-holder");
    expect(line).toHaveTextContent(`ran from ${formatDateTime(holder.since)} to ${formatDateTime("2030-01-01T00:10:00Z")}.`);
    expect(within(line).queryByRole("button")).not.toBeInTheDocument();
  });

  it("a holder waiting for input says so and can be cancelled", async () => {
    busyRun({ get_work_area_holder: () => ({ ...holder, state: "awaiting_input" }) });
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("work-area-holder");
    expect(line).toHaveTextContent("now waiting for input");
    expect(within(line).getByRole("button", { name: "Cancel that run" })).toBeEnabled();
  });

  it("other runs ask for no holder", async () => {
    const calls = mockBackend({
      get_run: () => ({ run: run({ state: "stopped", stop_reason: "cancelled" }), transcript: [] }),
      get_work_area_holder: () => holder,
    });
    renderAt("#/runs/run_1");
    await screen.findByTestId("run-result");
    expect(callsOf(calls, "get_work_area_holder")).toEqual([]);
    expect(screen.queryByTestId("work-area-holder")).not.toBeInTheDocument();
  });
});
