import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

const repo = { path: "/home/u/proj", exists: true, is_dir: true, git_root: "/home/u/proj" };
const fieldOf = (control: HTMLElement) => control.closest(".field") as HTMLElement;

describe("the work directory field", () => {
  it("Choose… opens the folder picker at the typed folder and fills in the chosen one", async () => {
    const calls = mockBackend({ pick_folder: () => repo });
    const { user } = renderAt("#/automations/new");
    const input = await screen.findByTestId("field-workspace");
    await user.type(input, "/home/u");
    await user.click(screen.getByRole("button", { name: "Choose…" }));

    await waitFor(() => expect(input).toHaveValue("/home/u/proj"));
    expect(callsOf(calls, "pick_folder")).toEqual([{ start: "/home/u" }]);
    // A look at the typed folder may still be answering when the pick lands (a loaded
    // machine): the hint settles on the picked one.
    await waitFor(() =>
      expect(screen.getByTestId("workspace-hint")).toHaveTextContent("Git repository (root: /home/u/proj)"),
    );
    expect(input).toHaveAccessibleDescription(/Git repository \(root: \/home\/u\/proj\)/);
  });

  it("leaves the field as it was when the picker is cancelled, and starts it nowhere when empty", async () => {
    const calls = mockBackend({ pick_folder: () => null });
    const { user } = renderAt("#/automations/new");
    const input = await screen.findByTestId("field-workspace");
    await user.click(screen.getByRole("button", { name: "Choose…" }));
    await waitFor(() => expect(callsOf(calls, "pick_folder")).toEqual([{ start: null }]));
    expect(input).toHaveValue("");
    expect(screen.getByRole("button", { name: "Choose…" })).toBeEnabled();
  });

  it("says what the typed folder is once typing pauses", async () => {
    const calls = mockBackend({
      describe_folder: (a) =>
        a.path === "/srv/notes"
          ? { path: "/srv/notes", exists: true, is_dir: true, git_root: null }
          : { path: a.path, exists: false, is_dir: false, git_root: null },
    });
    const { user } = renderAt("#/automations/new");
    const input = await screen.findByTestId("field-workspace");
    const hint = screen.getByTestId("workspace-hint");
    await user.type(input, "/srv/notes");
    await waitFor(() => expect(hint).toHaveTextContent("Not a git repository: worktree placement and review need one"));
    // Once, for what was typed, not once per key.
    expect(callsOf(calls, "describe_folder")).toEqual([{ path: "/srv/notes" }]);

    await user.type(input, "2");
    await waitFor(() => expect(hint).toHaveTextContent("This folder does not exist"));
    await user.clear(input);
    expect(hint).toHaveTextContent("");
  });

  it("says why the picker failed, and keeps the validation errors under the field", async () => {
    mockBackend({
      pick_folder: () => {
        throw apiError({ kind: "internal", error: "corrupt", message: "the folder picker failed: no portal" });
      },
      create_automation: () => {
        throw apiError({
          kind: "validation",
          error: "invalid_automation",
          message: "the automation is invalid",
          details: [{ field: "workspace", message: "workspace_not_absolute" }],
        });
      },
    });
    const { user } = renderAt("#/automations/new");
    const input = await screen.findByTestId("field-workspace");
    await user.click(screen.getByRole("button", { name: "Choose…" }));
    expect(await screen.findByText("Could not choose a folder: the folder picker failed: no portal")).toBeInTheDocument();

    await user.type(input, "proj");
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
    expect(within(fieldOf(input)).getByRole("alert")).toHaveTextContent("Use an absolute path.");
  });
});
