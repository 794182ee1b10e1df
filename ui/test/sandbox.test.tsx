import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, automation, callsOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

describe("sandbox settings", () => {
  it("enforces by default, warns clearly when turned off, and sends mode, network and paths", async () => {
    const calls = mockBackend({
      create_automation: () => {
        throw apiError({
          kind: "validation",
          error: "invalid_automation",
          message: "the automation is invalid",
          details: [
            { field: "sandbox.writable[1]", message: "path_not_absolute", hint: "write the whole path, from /" },
          ],
        });
      },
    });
    const { user } = renderAt("#/automations/new");
    const section = await screen.findByTestId("sandbox-section");
    expect(within(section).getByRole("radio", { name: "Enforce (recommended)" })).toBeChecked();
    expect(within(section).getByRole("checkbox", { name: "Allow network" })).not.toBeChecked();
    expect(within(section).getByRole("checkbox", { name: "Allow network" })).toHaveAccessibleDescription(
      /internet sockets.*Unix sockets.*always work/,
    );
    expect(screen.queryByTestId("sandbox-off-warning")).toBeNull();

    await user.click(within(section).getByRole("radio", { name: "Off" }));
    expect(screen.getByTestId("sandbox-off-warning")).toHaveTextContent(
      "The sandbox is off. Processes run with your full access:",
    );
    await user.click(within(section).getByRole("checkbox", { name: "Allow network" }));
    const add = within(section).getByRole("button", { name: "Add path" });
    await user.click(add);
    expect(screen.getByLabelText("Writable path 1")).toHaveFocus();
    await user.type(screen.getByLabelText("Writable path 1"), "/srv/cache");
    await user.click(add);
    await user.click(add);
    await user.type(screen.getByLabelText("Writable path 3"), "relative/dir");
    await user.click(add);
    await user.click(screen.getByRole("button", { name: "Remove writable path 4" }));
    await user.type(
      within(section).getByLabelText("Environment variables to pass"),
      "GITHUB_REPOSITORY, NODE_ENV",
    );
    await user.click(screen.getByTestId("save-automation"));

    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    expect((callsOf(calls, "create_automation")[0].input as { sandbox: unknown }).sandbox).toEqual({
      mode: "off",
      network: true,
      // The blank row is not sent.
      writable: ["/srv/cache", "relative/dir"],
      env: ["GITHUB_REPOSITORY", "NODE_ENV"],
    });
    // The engine's second path is the form's third row.
    const row = screen.getByLabelText("Writable path 3").closest("li") as HTMLElement;
    expect(await within(row).findByRole("alert")).toHaveTextContent(
      "Not an absolute path. Write the whole path, from /.",
    );
    expect(screen.getByLabelText("Writable path 1").closest("li")).not.toHaveTextContent("absolute");
    expect(screen.queryByTestId("validation-summary")).not.toBeInTheDocument();
  });

  it("loads the stored settings and saves only what changed", async () => {
    const calls = mockBackend({
      get_automation: () => automation({ sandbox: { mode: "enforce", network: true, writable: ["/var/cache/x"], env: [] } }),
      update_automation: () => automation(),
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    expect(await screen.findByLabelText("Writable path 1")).toHaveValue("/var/cache/x");
    expect(screen.getByRole("checkbox", { name: "Allow network" })).toBeChecked();
    await user.click(screen.getByRole("checkbox", { name: "Allow network" }));
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() =>
      expect(callsOf(calls, "update_automation")[0].patch).toEqual({
        sandbox: { mode: "enforce", network: false, writable: ["/var/cache/x"], env: [] },
      }),
    );
  });

  it("marks an automation with the sandbox off or the network on wherever it is shown", async () => {
    const off = automation({ title: "Unboxed", sandbox: { mode: "off", network: false, writable: [], env: [] } });
    const net = automation({ id: "aut_2", title: "Fetcher", sandbox: { mode: "enforce", network: true, writable: [], env: [] } });
    const plain = automation({ id: "aut_3", title: "Plain" });
    mockBackend({
      list_automations: () => [off, net, plain],
      get_automation: () => off,
      get_run: () => ({ run: run(), transcript: [] }),
    });
    renderAt("#/automations");
    const rows = await screen.findAllByTestId("automation-row");
    const byTitle = (t: string) => rows.find((r) => r.textContent?.includes(t)) as HTMLElement;
    expect(within(byTitle("Unboxed")).getByTestId("sandbox-off")).toHaveTextContent("Sandbox off");
    expect(within(byTitle("Unboxed")).queryByTestId("network-on")).toBeNull();
    expect(within(byTitle("Fetcher")).getByTestId("network-on")).toHaveTextContent("Network on");
    expect(within(byTitle("Plain")).queryByTestId("sandbox-off")).toBeNull();
    expect(within(byTitle("Plain")).queryByTestId("network-on")).toBeNull();

    // The automation's own pages say it too: its runs, one run, its editor.
    window.location.hash = "#/automations/aut_1/runs";
    expect(await screen.findByRole("heading", { level: 1, name: /Unboxed/ })).toHaveTextContent("Sandbox off");
    window.location.hash = "#/runs/run_1";
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Unboxed Sandbox off"));
    window.location.hash = "#/automations/aut_1/edit";
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Edit “Unboxed” Sandbox off"));
  });
});
