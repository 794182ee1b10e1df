import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Original } from "../src/bindings";
import { apiError, callsOf, mockBackend, run, type Handler } from "./backend";
import { renderAt } from "./render";

const crashed = run({ state: "stopped", stop_reason: "expired", revision: 4, finished_at: "2030-01-01T00:05:00Z" });
const kept: Original[] = [
  { path: "src/lib.rs", blob: "8ab686eafeb1f44702738c8b0f24f2567c36da6d" },
  { path: "notes/todo.md", blob: null },
];

function crashedRun(handlers: Record<string, Handler> = {}) {
  return mockBackend({
    get_run: () => ({ run: crashed, transcript: [] }),
    get_run_originals: () => kept,
    ...handlers,
  });
}

describe("a crashed run's originals", () => {
  it("lists the files, asks before restoring, restores, shows the result and drops the callout", async () => {
    const calls = crashedRun({ restore_run_originals: () => kept.map((o) => o.path) });
    const { user } = renderAt("#/runs/run_1");
    const callout = await screen.findByTestId("run-originals");
    expect(callout).toHaveTextContent(
      "This run was interrupted by a crash after changing 2 files in place. Their originals are kept.",
    );
    expect(within(callout).getAllByTestId("run-originals-file").map((li) => li.textContent)).toEqual([
      "src/lib.rs",
      "notes/todo.md (created by the run)",
    ]);
    expect(callsOf(calls, "get_run_originals")).toEqual([{ runId: "run_1" }]);

    // Keeping the files calls nothing.
    await user.click(within(callout).getByRole("button", { name: "Restore originals" }));
    let dialog = screen.getByRole("dialog", { name: "Restore the originals?" });
    expect(dialog).toHaveTextContent("Restoring puts 2 files back as they were before the run");
    await user.click(within(dialog).getByRole("button", { name: "Keep the files as they are" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(callsOf(calls, "restore_run_originals")).toEqual([]);

    await user.click(within(callout).getByRole("button", { name: "Restore originals" }));
    dialog = screen.getByRole("dialog", { name: "Restore the originals?" });
    await user.click(within(dialog).getByRole("button", { name: "Restore" }));
    expect(await screen.findByTestId("originals-restored")).toHaveTextContent(
      "Restored 2 files to how they were before the run.",
    );
    expect(callsOf(calls, "restore_run_originals")).toEqual([{ runId: "run_1" }]);
    expect(screen.queryByTestId("run-originals")).not.toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("a refused restore shows the error, reads the list again and keeps the callout", async () => {
    const calls = crashedRun({
      restore_run_originals: () => {
        throw apiError({
          kind: "conflict",
          error: "work_area_busy",
          message: "run run_2 is writing in /home/me/project; wait for it or cancel it",
        });
      },
    });
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByRole("button", { name: "Restore originals" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Restore" }));
    expect(
      await screen.findByText(
        "Could not restore the originals: run run_2 is writing in /home/me/project; wait for it or cancel it",
      ),
    ).toBeInTheDocument();
    await waitFor(() => expect(callsOf(calls, "get_run_originals")).toHaveLength(2));
    expect(screen.getByTestId("run-originals")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Restore originals" })).toBeEnabled();
    expect(screen.queryByTestId("originals-restored")).not.toBeInTheDocument();
  });

  it("says 1 file for a single original", async () => {
    crashedRun({ get_run_originals: () => [kept[0]] });
    renderAt("#/runs/run_1");
    expect(await screen.findByTestId("run-originals")).toHaveTextContent("after changing 1 file in place.");
  });

  it("asks for no originals for a run that did not crash", async () => {
    const calls = mockBackend({
      get_run: () => ({ run: run({ state: "succeeded", finished_at: "2030-01-01T00:01:00Z" }), transcript: [] }),
      get_run_originals: () => kept,
    });
    renderAt("#/runs/run_1");
    await screen.findByTestId("run-result");
    expect(callsOf(calls, "get_run_originals")).toEqual([]);
    expect(screen.queryByTestId("run-originals")).not.toBeInTheDocument();
  });

  it("a crash that kept no originals shows no callout", async () => {
    const calls = crashedRun({ get_run_originals: () => [] });
    renderAt("#/runs/run_1");
    await waitFor(() => expect(callsOf(calls, "get_run_originals")).toEqual([{ runId: "run_1" }]));
    expect(screen.queryByTestId("run-originals")).not.toBeInTheDocument();
  });
});
