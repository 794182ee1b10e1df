import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, automation, callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

const fieldOf = (control: HTMLElement) => control.closest(".field") as HTMLElement;

describe("editor", () => {
  it("shows the backend's validation details inline next to the fields they name", async () => {
    const calls = mockBackend({
      create_automation: () => {
        throw apiError({
          kind: "validation",
          error: "invalid_automation",
          message: "the automation is invalid",
          details: [
            { field: "title", message: "title_too_long_160" },
            { field: "trigger.timezone", message: "invalid_timezone" },
          ],
        });
      },
    });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByTestId("field-title"), "A very long title");
    await user.type(screen.getByTestId("field-prompt"), "Do it");
    await user.type(screen.getByTestId("field-workspace"), "/tmp/x");
    await user.selectOptions(screen.getByTestId("trigger-kind"), "cron");
    await user.click(screen.getByTestId("save-automation"));

    const title = fieldOf(screen.getByTestId("field-title"));
    expect(await within(title).findByText(/title is too long: 160 characters/i)).toBeInTheDocument();
    const timezone = fieldOf(screen.getByLabelText("Time zone"));
    expect(within(timezone).getByText(/not a known time zone/i)).toBeInTheDocument();
    // Both had a widget, so nothing is left for the summary.
    expect(screen.queryByTestId("validation-summary")).not.toBeInTheDocument();
    expect(callsOf(calls, "create_automation")).toHaveLength(1);
  });

  it("lists details without a field widget in the summary at the top", async () => {
    mockBackend({
      create_automation: () => {
        throw apiError({
          kind: "validation",
          error: "invalid_automation",
          message: "the automation is invalid",
          details: [{ field: "trigger.timezone", message: "invalid_timezone", hint: "Mars/Olympus" }],
        });
      },
    });
    const { user } = renderAt("#/automations/new");
    await user.click(await screen.findByTestId("save-automation"));
    // The trigger is manual, so no time zone field is shown: the summary carries it.
    const summary = await screen.findByTestId("validation-summary");
    expect(summary).toHaveTextContent(/trigger\.timezone: Not a known time zone.*Mars\/Olympus/);
  });

  it("creates the automation with every field in its wire shape", async () => {
    const calls = mockBackend({ create_automation: (a) => automation({ ...(a.input as object), id: "aut_9" }) });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByTestId("field-title"), "Docs");
    await user.type(screen.getByTestId("field-prompt"), "Update the docs");
    await user.type(screen.getByTestId("field-workspace"), "/srv/repo");
    await user.selectOptions(screen.getByTestId("field-model"), "mock/thinker");
    await user.selectOptions(screen.getByLabelText("Reasoning effort"), "high");
    await user.selectOptions(screen.getByTestId("trigger-kind"), "interval");
    await user.clear(screen.getByLabelText("Every"));
    await user.type(screen.getByLabelText("Every"), "2");
    await user.selectOptions(screen.getByLabelText("Interval unit"), "hours");
    await user.click(screen.getByRole("button", { name: "Add rule" }));
    await user.type(screen.getByLabelText("Rule 1 command"), "cargo test");
    await user.selectOptions(screen.getByLabelText("Rule 1 action"), "allow");
    await user.type(screen.getByLabelText("Budget per run (USD)"), "1.5");
    await user.selectOptions(screen.getByLabelText("Missed fires"), "skip");
    expect(screen.queryByLabelText("Catch up fires up to (hours old)")).toBeNull();
    await user.selectOptions(screen.getByLabelText("When the work area is busy"), "queue");
    await user.click(screen.getByTestId("save-automation"));

    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect(callsOf(calls, "create_automation")[0].input).toEqual({
      title: "Docs",
      prompt: "Update the docs",
      workspace: "/srv/repo",
      model: { provider_id: "mock", model_id: "thinker" },
      variant: "high",
      trigger: { kind: "interval", every_ms: 7_200_000 },
      stop: { kind: "never" },
      context: "fresh",
      placement: { kind: "in_place" },
      permissions: [{ tool: "bash", command: ["cargo", "test"], action: "allow" }],
      step_cap: 40,
      failure_streak_limit: 3,
      catch_up: "skip",
      catch_up_max_age_hours: 168,
      overlap: "queue",
      timeout_minutes: null,
      budget_usd: 1.5,
      daily_budget_usd: null,
      wait_for_input_when_unattended: false,
      paused: false,
      sandbox: { mode: "enforce", network: false, writable: [], env: [] },
    });
    await waitFor(() => expect(window.location.hash).toBe("#/automations"));
  });

  it("previews the next five fires of a cron schedule as it is typed", async () => {
    const calls = mockBackend();
    const { user } = renderAt("#/automations/new");
    await user.selectOptions(await screen.findByTestId("trigger-kind"), "cron");
    await user.selectOptions(screen.getByLabelText("Preset"), "Every day at 02:00");
    await waitFor(() =>
      expect(callsOf(calls, "preview_schedule").at(-1)).toMatchObject({
        trigger: { kind: "cron", expression: "0 2 * * *" },
        count: 5,
      }),
    );
    expect(await screen.findByText("Every day at 02:00 (UTC)")).toBeInTheDocument();
  });

  it("opens a template prefilled with its schedule and permissions", async () => {
    const { user } = (mockBackend(), renderAt("#/templates"));
    await user.click(await screen.findByTestId("template-daily-commits"));
    expect(await screen.findByTestId("field-title")).toHaveValue("Daily: summarize yesterday's commits");
    expect(screen.getByTestId("trigger-kind")).toHaveValue("cron");
    expect(screen.getByLabelText("Rule 3 command")).toHaveValue("git log");
    expect(screen.getByLabelText("Rule 3 action")).toHaveValue("allow");
    expect(screen.getByLabelText("Rule 2 pattern")).toHaveValue("*");
    expect(screen.getByLabelText("Rule 1 action")).toHaveValue("deny");
  });

  describe("when another change landed meanwhile", () => {
    function conflictBackend() {
      let version = 0;
      const calls = mockBackend({
        get_automation: () =>
          version++ === 0
            ? automation({ revision: 3 })
            : automation({ revision: 4, title: "Renamed elsewhere" }),
        update_automation: (a) => {
          if (a.expectedRevision === 3) {
            throw apiError({
              kind: "conflict",
              error: "revision_conflict",
              message: "the automation changed meanwhile",
              current_revision: 4,
            });
          }
          return automation({ revision: 5, title: "Renamed elsewhere", prompt: "Run all tests." });
        },
      });
      return calls;
    }

    it("says so, shows the current values, and Keep editing saves only my change on the new revision", async () => {
      const calls = conflictBackend();
      const { user } = renderAt("#/automations/aut_1/edit");
      const prompt = await screen.findByTestId("field-prompt");
      await user.clear(prompt);
      await user.type(prompt, "Run all tests.");
      await user.click(screen.getByTestId("save-automation"));

      const banner = await screen.findByTestId("conflict");
      expect(banner).toHaveTextContent("This automation changed meanwhile");
      expect(banner).toHaveTextContent("Renamed elsewhere");
      await user.click(within(banner).getByRole("button", { name: "Keep editing" }));
      expect(screen.getByTestId("field-prompt")).toHaveValue("Run all tests.");

      await user.click(screen.getByTestId("save-automation"));
      await waitFor(() => expect(callsOf(calls, "update_automation")).toHaveLength(2));
      expect(callsOf(calls, "update_automation")[1]).toEqual({
        id: "aut_1",
        patch: { prompt: "Run all tests." },
        expectedRevision: 4,
      });
    });

    it("Reload discards my changes and shows the current values", async () => {
      conflictBackend();
      const { user } = renderAt("#/automations/aut_1/edit");
      const prompt = await screen.findByTestId("field-prompt");
      await user.type(prompt, " Twice.");
      await user.click(screen.getByTestId("save-automation"));
      await user.click(await screen.findByRole("button", { name: /Reload/ }));

      expect(screen.queryByTestId("conflict")).not.toBeInTheDocument();
      expect(screen.getByTestId("field-title")).toHaveValue("Renamed elsewhere");
      expect(screen.getByTestId("field-prompt")).toHaveValue("Run the tests.");
    });
  });
});
