import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { emit } from "@tauri-apps/api/event";
import { automation, callsOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

describe("automations list", () => {
  it("explains what an automation is when there is none", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    expect(await screen.findByText(/An automation is a task for a coding agent/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Create your first automation" }));
    expect(window.location.hash).toBe("#/automations/new");
  });

  it("shows the schedule in words, the next fire and the last run", async () => {
    mockBackend({
      list_automations: () => [
        automation({
          trigger: { kind: "cron", expression: "0 2 * * *", timezone: "UTC" },
          next_fire_at: "2099-01-01T02:00:00Z",
        }),
        automation({ id: "aut_2", title: "Ad hoc" }),
      ],
      list_runs: () => ({ runs: [run({ state: "failed", error: { code: "step_cap", message: "x" } })], next_cursor: null }),
    });
    renderAt("#/automations");
    const rows = await screen.findAllByTestId("automation-row");
    expect(rows[0]).toHaveTextContent("Ad hoc");
    expect(rows[0]).toHaveTextContent("Manual only");
    await waitFor(() => expect(rows[1]).toHaveTextContent(/Every day at 02:00 \(UTC\).*next:/));
    expect(within(rows[1]).getByTestId("last-run-state")).toHaveTextContent("failed");
    expect(rows[1]).toHaveTextContent("step cap");
  });

  it("Run now starts an attended run and opens it", async () => {
    const calls = mockBackend({
      list_automations: () => [automation()],
      run_now: () => run({ id: "run_5", state: "queued" }),
      get_run: () => ({ run: run({ id: "run_5", state: "queued" }), transcript: [] }),
    });
    const { user } = renderAt("#/automations");
    await user.click(await screen.findByTestId("run-now"));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_5"));
    expect(callsOf(calls, "run_now")).toEqual([{ id: "aut_1" }]);
    expect(await screen.findByTestId("run-state")).toHaveTextContent("queued");
  });

  it("Ctrl+Enter runs the selected automation; Ctrl+N opens a new one", async () => {
    const calls = mockBackend({
      list_automations: () => [automation()],
      run_now: () => run({ id: "run_6", state: "queued" }),
      get_run: () => ({ run: run({ id: "run_6", state: "queued" }), transcript: [] }),
    });
    const { user } = renderAt("#/automations");
    await user.click(await screen.findByText("No runs yet"));
    await user.keyboard("{Control>}{Enter}{/Control}");
    await waitFor(() => expect(callsOf(calls, "run_now")).toEqual([{ id: "aut_1" }]));
    await user.keyboard("{Control>}n{/Control}");
    expect(window.location.hash).toBe("#/automations/new");
  });

  it("the schedule switch pauses the automation", async () => {
    const every = { kind: "interval", every_ms: 3_600_000 } as const;
    const calls = mockBackend({
      list_automations: () => [automation({ trigger: every })],
      set_paused: () => automation({ trigger: every, paused: true, revision: 2 }),
    });
    const { user } = renderAt("#/automations");
    await user.click(await screen.findByRole("switch", { name: /Schedule of Nightly tests on/ }));
    await waitFor(() => expect(callsOf(calls, "set_paused")).toEqual([{ id: "aut_1", paused: true }]));
    await waitFor(() => expect(screen.getByRole("switch")).not.toBeChecked());
    expect(screen.getByTestId("automation-row")).toHaveTextContent("Paused");
  });

  it("offers no schedule switch for a manual-only automation", async () => {
    mockBackend({ list_automations: () => [automation()] });
    renderAt("#/automations");
    await screen.findByTestId("automation-row");
    expect(screen.queryByRole("switch")).not.toBeInTheDocument();
  });

  it("opens the run a notification was clicked for", async () => {
    mockBackend({ get_run: () => ({ run: run({ id: "run_9" }), transcript: [] }) });
    renderAt("#/automations");
    await screen.findByTestId("new-automation");
    await act(() => emit("show-run", { run_id: "run_9" }));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_9"));
  });

  it("explains the tray on the first close and keeps running there", async () => {
    const calls = mockBackend({ hide_to_tray: () => null, set_autostart: (a) => a.enabled });
    const { user } = renderAt("#/automations");
    await screen.findByTestId("new-automation");
    await act(() => emit("close-requested", null));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("When you quit Autowork (tray → Quit), nothing runs.");
    await user.click(within(dialog).getByRole("checkbox", { name: "Start Autowork when I log in" }));
    await user.click(within(dialog).getByRole("button", { name: "Keep running in the tray" }));
    await waitFor(() => expect(callsOf(calls, "hide_to_tray")).toHaveLength(1));
    expect(callsOf(calls, "set_autostart")).toEqual([{ enabled: true }]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
