import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { automation, callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

const discardDialog = () => screen.findByRole("dialog", { name: "Discard your changes?" });

describe("leaving the editor", () => {
  it("Ctrl+S saves, even from a text field", async () => {
    const calls = mockBackend({ create_automation: (a) => automation({ ...(a.input as object), id: "aut_9" }) });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByTestId("field-title"), "Docs");
    await user.type(screen.getByTestId("field-prompt"), "Update the docs");
    await user.type(screen.getByTestId("field-workspace"), "/srv/repo");
    await user.keyboard("{Control>}s{/Control}");
    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect(callsOf(calls, "create_automation")[0].input).toMatchObject({ title: "Docs", workspace: "/srv/repo" });
    // Saved: going back to the list asks nothing.
    await waitFor(() => expect(window.location.hash).toBe("#/automations"));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("asks before a sidebar link drops an edit; Keep editing keeps the text, Discard goes", async () => {
    mockBackend({ get_automation: () => automation() });
    const { user } = renderAt("#/automations/aut_1/edit");
    const prompt = await screen.findByTestId("field-prompt");
    await user.type(prompt, " Twice.");

    await user.click(screen.getByTestId("nav-settings"));
    const dialog = await discardDialog();
    expect(window.location.hash).toBe("#/automations/aut_1/edit");
    await user.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("field-prompt")).toHaveValue("Run the tests. Twice.");
    expect(window.location.hash).toBe("#/automations/aut_1/edit");

    await user.click(screen.getByTestId("nav-settings"));
    await user.click(within(await discardDialog()).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(window.location.hash).toBe("#/settings"));
    expect(screen.queryByTestId("field-prompt")).not.toBeInTheDocument();
  });

  it("an untouched form leaves without asking", async () => {
    mockBackend({ get_automation: () => automation() });
    const { user } = renderAt("#/automations/aut_1/edit");
    await screen.findByTestId("field-prompt");
    await user.click(screen.getByTestId("nav-inbox"));
    await waitFor(() => expect(window.location.hash).toBe("#/inbox"));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("an edit undone by hand is no edit", async () => {
    mockBackend({ get_automation: () => automation() });
    const { user } = renderAt("#/automations/aut_1/edit");
    const title = await screen.findByTestId("field-title");
    await user.type(title, "!");
    await user.type(title, "{Backspace}");
    await user.click(screen.getByTestId("nav-inbox"));
    await waitFor(() => expect(window.location.hash).toBe("#/inbox"));
  });

  it("asks before Cancel, Esc or the palette drop an edit", async () => {
    window.location.hash = "#/automations";
    mockBackend({ get_automation: () => automation() });
    const { user } = renderAt("#/automations/aut_1/edit");
    const title = await screen.findByTestId("field-title");
    await user.type(title, " (new)");

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(within(await discardDialog()).getByRole("button", { name: "Keep editing" }));
    await user.click(title);
    await user.keyboard("{Escape}");
    await user.click(within(await discardDialog()).getByRole("button", { name: "Keep editing" }));

    await user.keyboard("{Control>}k{/Control}");
    await user.type(screen.getByRole("combobox", { name: "Search commands and automations" }), "go to runs");
    await user.keyboard("{Enter}");
    await user.click(within(await discardDialog()).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(window.location.hash).toBe("#/runs"));
  });

  it("Cancel, then Discard, goes back where the user came from", async () => {
    mockBackend({ list_automations: () => [automation()], get_automation: () => automation() });
    const { user } = renderAt("#/automations");
    await user.click(await screen.findByRole("button", { name: "Edit Nightly tests" }));
    await user.type(await screen.findByTestId("field-title"), " (new)");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(within(await discardDialog()).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(window.location.hash).toBe("#/automations"));
    expect(await screen.findByTestId("automation-row")).toBeInTheDocument();
  });

  it("a template's own values are no edit: leaving asks nothing", async () => {
    mockBackend();
    const { user } = renderAt("#/automations/new?template=daily-commits");
    await screen.findByTestId("field-title");
    await user.click(screen.getByTestId("nav-templates"));
    await waitFor(() => expect(window.location.hash).toBe("#/templates"));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
