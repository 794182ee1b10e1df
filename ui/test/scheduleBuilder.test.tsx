import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { automation, callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

async function fillRequired(user: ReturnType<typeof renderAt>["user"]) {
  await user.type(await screen.findByTestId("field-title"), "Docs");
  await user.type(screen.getByTestId("field-prompt"), "Update the docs");
  await user.type(screen.getByTestId("field-workspace"), "/srv/repo");
}

// The whole editor, typed into key by key: slower than the default 5 s on a busy machine.
describe("schedule builder", { timeout: 20_000 }, () => {
  it("day chips and a time make a weekday cron in the chosen time zone", async () => {
    const calls = mockBackend({ create_automation: (a) => automation({ ...(a.input as object), id: "aut_9" }) });
    const { user } = renderAt("#/automations/new");
    await fillRequired(user);
    await user.selectOptions(screen.getByTestId("trigger-kind"), "weekdays");
    // Monday to Friday to start with; Tuesday and Thursday off leaves Mon, Wed, Fri.
    expect(screen.getByRole("button", { name: "Monday" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "Sunday" })).toHaveAttribute("aria-pressed", "false");
    await user.click(screen.getByRole("button", { name: "Tuesday" }));
    await user.click(screen.getByRole("button", { name: "Thursday" }));
    expect(screen.getByRole("button", { name: "Tuesday" })).toHaveAttribute("aria-pressed", "false");
    fireEvent.change(screen.getByLabelText("At"), { target: { value: "08:00" } });
    fireEvent.change(screen.getByLabelText("Time zone"), { target: { value: "Asia/Tokyo" } });

    await waitFor(() =>
      expect(callsOf(calls, "preview_schedule").at(-1)).toMatchObject({
        trigger: { kind: "cron", expression: "0 8 * * 1,3,5", timezone: "Asia/Tokyo" },
      }),
    );
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect(callsOf(calls, "create_automation")[0].input).toMatchObject({
      trigger: { kind: "cron", expression: "0 8 * * 1,3,5", timezone: "Asia/Tokyo" },
      stop: { kind: "never" },
    });
  });

  it("a one-shot time is read in its time zone", async () => {
    const calls = mockBackend({ create_automation: (a) => automation({ ...(a.input as object), id: "aut_9" }) });
    const { user } = renderAt("#/automations/new");
    await fillRequired(user);
    await user.selectOptions(screen.getByTestId("trigger-kind"), "once");
    fireEvent.change(screen.getByLabelText("Run at"), { target: { value: "2030-06-01T09:00" } });
    fireEvent.change(screen.getByLabelText("Time zone"), { target: { value: "Asia/Tokyo" } });
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect(callsOf(calls, "create_automation")[0].input).toMatchObject({
      trigger: { kind: "once", fire_at: "2030-06-01T00:00:00Z" },
    });
  });

  it("opens a cron it can express in the friendly mode, and leaves it as written when untouched", async () => {
    const trigger = { kind: "cron", expression: "00 09 * * MON-FRI", timezone: "Europe/Berlin" } as const;
    const calls = mockBackend({
      get_automation: () => automation({ trigger }),
      update_automation: () => automation({ trigger, title: "Renamed", revision: 2 }),
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    expect(await screen.findByTestId("trigger-kind")).toHaveValue("weekdays");
    expect(screen.getByLabelText("At")).toHaveValue("09:00");
    expect(screen.getByLabelText("Time zone")).toHaveValue("Europe/Berlin");
    for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]) {
      expect(screen.getByRole("button", { name: day })).toHaveAttribute("aria-pressed", "true");
    }
    expect(screen.getByRole("button", { name: "Saturday" })).toHaveAttribute("aria-pressed", "false");

    const title = screen.getByTestId("field-title");
    await user.clear(title);
    await user.type(title, "Renamed");
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "update_automation")).toHaveLength(1));
    expect(callsOf(calls, "update_automation")[0].patch).toEqual({ title: "Renamed" });
  });

  it("opens a cron it cannot express in Advanced with the expression intact", async () => {
    const trigger = { kind: "cron", expression: "*/20 9-17 * * 1-5", timezone: "UTC" } as const;
    const calls = mockBackend({
      get_automation: () => automation({ trigger }),
      update_automation: () => automation({ trigger, prompt: "Again.", revision: 2 }),
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    expect(await screen.findByTestId("trigger-kind")).toHaveValue("cron");
    expect(screen.getByLabelText("Cron expression")).toHaveValue("*/20 9-17 * * 1-5");
    // UTC is not in every system's zone list: it is kept, not replaced by another zone.
    expect(screen.getByLabelText("Time zone")).toHaveValue("UTC");
    await user.clear(screen.getByTestId("field-prompt"));
    await user.type(screen.getByTestId("field-prompt"), "Again.");
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "update_automation")).toHaveLength(1));
    expect(callsOf(calls, "update_automation")[0].patch).toEqual({ prompt: "Again." });
  });

  it("switching a daily schedule to Advanced shows its expression", async () => {
    mockBackend({
      get_automation: () =>
        automation({ trigger: { kind: "cron", expression: "30 9 * * *", timezone: "Europe/Berlin" } }),
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    expect(await screen.findByTestId("trigger-kind")).toHaveValue("daily");
    expect(screen.getByLabelText("At")).toHaveValue("09:30");
    await user.selectOptions(screen.getByTestId("trigger-kind"), "cron");
    expect(screen.getByLabelText("Cron expression")).toHaveValue("30 9 * * *");
  });
});
