import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Draft } from "../src/bindings";
import { apiError, automation, callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

const fieldOf = (control: HTMLElement) => control.closest(".field") as HTMLElement;

function draft(over: Partial<Draft> = {}): Draft {
  return {
    definition: {
      title: "Weekday notes",
      prompt: "Summarize yesterday's commits into NOTES.md.",
      workspace: "/srv/repo",
      model: { provider_id: "mock", model_id: "thinker" },
      trigger: { kind: "cron", expression: "0 9 * * 1-5", timezone: "Europe/Berlin" },
      permissions: [{ tool: "edit", pattern: "NOTES.md", action: "allow" }],
      sandbox: { network: false },
    },
    problems: [],
    adjustments: [
      {
        field: "permissions",
        change: "removed `allow cargo test …`",
        reason: "the sentence does not ask to run commands, so they ask first",
      },
    ],
    summary: {
      schedule: "Every weekday at 09:00 (Europe/Berlin)",
      timezone: "Europe/Berlin",
      next_fires: ["2030-01-07T08:00:00Z"],
      next_fires_local: ["Mon 7 Jan 2030 09:00 CET", "Tue 8 Jan 2030 09:00 CET"],
      work_dir: "/srv/repo",
      placement: "in place",
      model: "mock/thinker",
      allowed: ["read, list and search files in the work directory (the default)", "edit files matching `NOTES.md`"],
      network: false,
    },
    model_calls: 1,
    drafted_with: { provider_id: "mock", model_id: "coder" },
    ...over,
  };
}

describe("describe it", () => {
  it("drafts from the sentence with a busy state, then fills the editor and shows the summary", async () => {
    let answer: (d: Draft) => void = () => {};
    const calls = mockBackend({
      draft_automation: () => new Promise<Draft>((resolve) => (answer = resolve)),
      create_automation: (a) => automation({ ...(a.input as object), id: "aut_7" }),
    });
    const { user } = renderAt("#/automations/new");
    const box = await screen.findByTestId("describe-box");
    expect(within(box).getByTestId("describe-draft")).toBeDisabled();
    await user.type(screen.getByTestId("describe-sentence"), "every weekday at 9, summarize commits into NOTES.md");
    await user.type(screen.getByTestId("describe-workspace"), "/srv/repo");
    await user.click(screen.getByTestId("describe-draft"));

    expect(await screen.findByRole("button", { name: "Drafting…" })).toBeDisabled();
    const sent = callsOf(calls, "draft_automation")[0];
    expect(sent).toMatchObject({ sentence: "every weekday at 9, summarize commits into NOTES.md", workspace: "/srv/repo" });
    expect(typeof sent.timezone).toBe("string");
    answer(draft());

    const summary = await screen.findByTestId("draft-summary");
    expect(summary).toHaveTextContent("Every weekday at 09:00 (Europe/Berlin)");
    expect(summary).toHaveTextContent("Mon 7 Jan 2030 09:00 CET");
    expect(within(summary).getByTestId("draft-allowed")).toHaveTextContent("edit files matching NOTES.md");
    expect(within(summary).getByText("NOTES.md").tagName).toBe("CODE");
    expect(within(summary).getByTestId("draft-network")).toHaveTextContent("Off: commands cannot reach it");
    expect(within(summary).getByTestId("draft-adjustments")).toHaveTextContent(
      "Removed allow cargo test … because the sentence does not ask to run commands",
    );
    expect(screen.getByTestId("field-title")).toHaveValue("Weekday notes");
    expect(screen.getByTestId("field-workspace")).toHaveValue("/srv/repo");
    expect(screen.getByTestId("field-model")).toHaveValue("mock/thinker");
    expect(screen.getByTestId("trigger-kind")).toHaveValue("weekdays");
    expect(callsOf(calls, "create_automation")).toHaveLength(0);

    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect(callsOf(calls, "create_automation")[0].input).toMatchObject({
      title: "Weekday notes",
      workspace: "/srv/repo",
      trigger: { kind: "cron", expression: "0 9 * * 1-5", timezone: "Europe/Berlin" },
      permissions: [{ tool: "edit", pattern: "NOTES.md", action: "allow" }],
    });
  });

  it("shows the problems the model left next to their fields", async () => {
    mockBackend({
      draft_automation: () =>
        draft({
          definition: { ...(draft().definition as object), title: "" },
          problems: [{ field: "title", message: "title_empty" }],
        }),
    });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByTestId("describe-sentence"), "daily notes");
    await user.click(screen.getByTestId("describe-draft"));
    const title = fieldOf(await screen.findByTestId("field-title"));
    expect(await within(title).findByRole("alert")).toBeInTheDocument();
    expect(screen.getByTestId("draft-summary")).toHaveTextContent("One field needs attention");
  });

  it("says why no draft came back", async () => {
    mockBackend({
      draft_automation: () => {
        throw apiError({ kind: "internal", error: "no_default_model", message: "no model to draft with" });
      },
    });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByTestId("describe-sentence"), "daily notes");
    await user.click(screen.getByTestId("describe-draft"));
    expect(await screen.findByTestId("describe-error")).toHaveTextContent("no model to draft with");
    expect(screen.getByTestId("describe-draft")).toBeEnabled();
  });
});
