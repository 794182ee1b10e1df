import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { emit } from "@tauri-apps/api/event";
import { automation, callsOf, emitEngine, mockBackend, rules, run } from "./backend";
import { renderAt } from "./render";

describe("automations list", () => {
  it("explains what an automation is when there is none", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    expect(await screen.findByText(/An automation is a task for a coding agent/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Create your first automation" }));
    expect(window.location.hash).toBe("#/automations/new");
  });

  it("shows the schedule in words, the next fire and the engine's last run", async () => {
    mockBackend({
      list_automations: () => [
        automation({
          trigger: { kind: "cron", expression: "0 2 * * *", timezone: "UTC" },
          next_fire_at: "2099-01-01T02:00:00Z",
          last_run: { run_id: "run_60", state: "failed", finished_at: "2030-01-01T00:05:00Z", cost_usd: 0.1 },
        }),
        automation({ id: "aut_2", title: "Ad hoc" }),
      ],
    });
    renderAt("#/automations");
    const rows = await screen.findAllByTestId("automation-row");
    expect(rows[0]).toHaveTextContent("Ad hoc");
    expect(rows[0]).toHaveTextContent("Manual only");
    expect(rows[0]).toHaveTextContent("No runs yet");
    await waitFor(() => expect(rows[1]).toHaveTextContent(/Every day at 02:00 \(UTC\).*next:/));
    // From the automation itself, though no run of it was ever loaded.
    const last = within(rows[1]).getByTestId("last-run-state");
    expect(last).toHaveAttribute("data-state", "failed");
    expect(last.closest("a")).toHaveAttribute("href", "#/runs/run_60");
  });

  it("a run that started since the engine's summary shows as the last run", async () => {
    mockBackend({
      list_automations: () => [
        automation({ last_run: { run_id: "run_1", state: "succeeded", finished_at: "2030-01-01T00:05:00Z", cost_usd: 0 } }),
      ],
    });
    renderAt("#/automations");
    const row = await screen.findByTestId("automation-row");
    expect(within(row).getByTestId("last-run-state")).toHaveAttribute("data-state", "succeeded");
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_2", state: "running", queued_at: "2030-01-02T00:00:00Z" }) });
    expect(within(row).getByTestId("last-run-state")).toHaveAttribute("data-state", "running");
  });

  it("shows the last runs as marks, oldest first, each with its state in words and a link to it", async () => {
    const marks = Array.from({ length: 20 }, (_, i) => ({
      run_id: `run_${20 - i}`,
      state: i === 0 ? ("failed" as const) : i === 1 ? ("stopped" as const) : ("succeeded" as const),
      queued_at: new Date(Date.UTC(2030, 0, 20 - i, 2)).toISOString(),
    }));
    mockBackend({ list_automations: () => [automation({ recent_runs: marks })] });
    renderAt("#/automations");
    const strip = await screen.findByRole("list", { name: "Last 20 runs, oldest first" });
    const links = within(strip).getAllByRole("link");
    expect(links).toHaveLength(20);
    expect(links[0]).toHaveAttribute("href", "#/runs/run_1");
    expect(links[19]).toHaveAttribute("href", "#/runs/run_20");
    expect(links[19]).toHaveAccessibleName(/^Failed, /);
    expect(links[18]).toHaveAccessibleName(/^Stopped, /);
    expect(links[19].getAttribute("title")).toBe(links[19].getAttribute("aria-label"));
    expect(links[19]).toHaveClass("mark-failed");
  });

  it("says where it works, how, with which model and what it may do without asking", async () => {
    mockBackend({
      list_automations: () => [
        automation({
          workspace: "/home/me/code/acme/api",
          placement: { kind: "worktree", name: "nightly" },
          model: { provider_id: "anthropic", model_id: "claude-sonnet" },
          permissions: rules(
            { tool: "edit", pattern: "*", action: "allow" },
            { tool: "bash", command: ["cargo", "test"], action: "allow" },
            { tool: "bash", command: ["git", "status"], exact: true, action: "allow" },
          ),
        }),
        automation({ id: "aut_2", title: "Careful" }),
      ],
    });
    renderAt("#/automations");
    const [careful, nightly] = await screen.findAllByTestId("automation-row");
    const facts = within(nightly).getByTestId("automation-facts");
    expect(facts).toHaveTextContent("~/…/acme/api");
    expect(within(facts).getByTitle("/home/me/code/acme/api")).toBeInTheDocument();
    expect(facts).toHaveTextContent("in a worktree");
    expect(facts).toHaveTextContent("claude-sonnet");
    expect(within(nightly).getByTestId("permission-summary")).toHaveTextContent(
      "Edits files · runs cargo test, git status · no network",
    );
    expect(within(careful).getByTestId("automation-facts")).toHaveTextContent("~/project · in place · coder");
    expect(within(careful).getByTestId("permission-summary")).toHaveTextContent("Asks before every edit and command · no network");
  });

  it("an automation paused after failing says why, and Resume turns its schedule back on", async () => {
    const hourly = { kind: "interval", every_ms: 3_600_000 } as const;
    const calls = mockBackend({
      list_automations: () => [
        automation({ trigger: hourly, paused: true, paused_reason: "failure_streak", failure_streak: 5, failure_streak_limit: 5 }),
      ],
      set_paused: () => automation({ trigger: hourly, revision: 2 }),
    });
    const { user } = renderAt("#/automations");
    const row = await screen.findByTestId("automation-row");
    expect(within(row).getByTestId("paused-banner")).toHaveTextContent("Paused after 5 failed runs in a row");
    await user.click(within(row).getByRole("button", { name: "Resume Nightly tests" }));
    await waitFor(() => expect(callsOf(calls, "set_paused")).toEqual([{ id: "aut_1", paused: false }]));
    await waitFor(() => expect(within(row).queryByTestId("paused-banner")).not.toBeInTheDocument());
    expect(within(row).getByRole("switch")).toBeChecked();
  });

  it("Pause all pauses every schedule; an automation paused that way offers Resume all", async () => {
    const hourly = { kind: "interval", every_ms: 3_600_000 } as const;
    let paused = false;
    let revision = 1;
    const calls = mockBackend({
      list_automations: () => [automation({ trigger: hourly, paused, paused_reason: paused ? "all_paused" : null, revision })],
      pause_all_schedules: (a) => {
        paused = a.paused as boolean;
        revision += 1;
        return 1;
      },
    });
    const { user } = renderAt("#/automations");
    await user.click(await screen.findByRole("button", { name: "Pause all" }));
    await waitFor(() => expect(callsOf(calls, "pause_all_schedules")).toEqual([{ paused: true }]));
    const banner = await screen.findByTestId("paused-banner");
    expect(banner).toHaveTextContent("Paused with all schedules");
    expect(screen.getByText("Paused 1 schedule")).toBeInTheDocument();

    await user.click(within(banner).getByRole("button", { name: "Resume all schedules" }));
    await waitFor(() => expect(callsOf(calls, "pause_all_schedules")).toEqual([{ paused: true }, { paused: false }]));
    await waitFor(() => expect(screen.queryByTestId("paused-banner")).not.toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Pause all" })).toBeInTheDocument();
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
    expect(await screen.findByTestId("run-state")).toHaveTextContent("Queued");
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
