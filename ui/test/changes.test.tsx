import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Message, Part, RunChanges } from "../src/bindings";
import { apiError, callsOf, changes, emitEngine, mockBackend, run, worktreeChanges, type Handler } from "./backend";
import { renderAt } from "./render";

const finished = run({ state: "succeeded", result: "Done.", revision: 5, finished_at: "2030-01-01T00:01:00Z" });

function finishedRun(recorded: RunChanges | null, handlers: Record<string, Handler> = {}) {
  return mockBackend({
    get_run: () => ({ run: finished, transcript: [] }),
    get_run_changes: () => recorded,
    ...handlers,
  });
}

const pending = () => changes({ worktree: worktreeChanges() });

/** One assistant message with these tool calls ([tool, subject, result, failed?]) and their results. */
function toolsMessage(...calls: [string, string, string, boolean?][]): Message {
  const parts: Part[] = calls.flatMap(([tool, subject, content, failed], i) => [
    {
      kind: "tool_call",
      tool_call_id: `tc_${i}`,
      tool_name: tool,
      arguments: (tool === "bash" ? { command: subject } : { path: subject }) as never,
    },
    { kind: "tool_result", tool_call_id: `tc_${i}`, tool_name: tool, content, is_error: !!failed },
  ]);
  return { id: "msg_1", session_id: "ses_1", run_id: "run_1", seq: 1, role: "assistant", parts, created_at: "2030-01-01T00:00:02Z" };
}

describe("run changes", () => {
  it("a finished in-place run shows the summary, each file and the diff", async () => {
    const calls = finishedRun(
      changes({
        files: [
          { path: "src/lib.rs", kind: "modified", old_path: null, insertions: 8, deletions: 2, binary: false },
          { path: "src/new.rs", kind: "renamed", old_path: "src/old.rs", insertions: 2, deletions: 0, binary: false },
          { path: "logo.png", kind: "added", insertions: 0, deletions: 0, binary: true },
        ],
        files_changed: 3,
        insertions: 10,
        deletions: 2,
      }),
    );
    const { user } = renderAt("#/runs/run_1");
    const section = await screen.findByTestId("run-changes");
    await waitFor(() => expect(within(section).getByTestId("run-changes-summary")).toHaveTextContent("3 files changed, +10 −2"));
    const rows = within(section).getAllByTestId("run-changes-file");
    expect(rows.map((r) => r.textContent)).toEqual([
      "Msrc/lib.rs+8 −2",
      "Rsrc/old.rs → src/new.rs+2 −0",
      "Alogo.pngbinary",
    ]);
    expect(within(section).getByText("+fn new() {}")).toHaveClass("diff-add");
    expect(within(section).getByText("-fn old() {}")).toHaveClass("diff-del");
    expect(within(section).queryByTestId("apply-run")).not.toBeInTheDocument();
    expect(callsOf(calls, "get_run_changes")).toEqual([{ runId: "run_1" }]);

    // The patch folds away; folded, its lines are not rendered at all.
    await user.click(within(section).getByText("Diff"));
    await waitFor(() => expect(within(section).queryByText("+fn new() {}")).not.toBeInTheDocument());
  });

  it("says the changes are recorded at the end, and fetches them when the run ends", async () => {
    const calls = mockBackend({
      get_run: () => ({ run: run({ state: "running", revision: 2 }), transcript: [] }),
      get_run_changes: () => changes(),
    });
    renderAt("#/runs/run_1");
    const section = await screen.findByTestId("run-changes");
    expect(section).toHaveTextContent("Recorded when the run ends.");
    expect(callsOf(calls, "get_run_changes")).toEqual([]);

    await emitEngine({ kind: "run.updated", payload: { ...finished, revision: 3 } });
    await waitFor(() => expect(screen.getByTestId("run-changes-summary")).toHaveTextContent("1 file changed, +1 −1"));
    expect(callsOf(calls, "get_run_changes")).toEqual([{ runId: "run_1" }]);
  });

  it("a run outside git that ran a shell command shows the engine's note, and No files changed when nothing did", async () => {
    const note = "the work area is not a git repository: files changed by shell commands are not listed";
    finishedRun(changes({ source: "tools", files: [], files_changed: 0, insertions: 0, deletions: 0, patch: "", note }), {
      get_run: () => ({ run: finished, transcript: [toolsMessage(["bash", "npm test", "ok"])] }),
    });
    renderAt("#/runs/run_1");
    await waitFor(() => expect(screen.getByTestId("run-changes-summary")).toHaveTextContent("No files changed."));
    await waitFor(() => expect(screen.getByTestId("run-changes")).toHaveTextContent(note));
    expect(screen.queryByTestId("run-changes-file")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Diff of the run's changes")).not.toBeInTheDocument();
  });

  it("leaves the outside-git note out when no shell command ran: the tools' list is the whole story", async () => {
    const note = "the work area is not a git repository: files changed by shell commands are not listed";
    finishedRun(changes({ source: "tools", note }), {
      // Reads, an edit, and a shell command the user refused: nothing ran outside the tools.
      get_run: () => ({
        run: finished,
        transcript: [
          toolsMessage(["read", "src/lib.rs", "fn old() {}"], ["edit", "src/lib.rs", "edited"], [
            "bash",
            "rm -rf target",
            "the user rejected `rm -rf target`",
            true,
          ]),
        ],
      }),
    });
    renderAt("#/runs/run_1");
    // The transcript comes with the run, before its changes are asked for.
    await waitFor(() => expect(screen.getByTestId("run-changes-summary")).toHaveTextContent("1 file changed, +1 −1"));
    expect(screen.getByTestId("run-changes")).not.toHaveTextContent("not a git repository");
  });

  it("renders the first 2000 lines of a long patch until Show all, and says when it was cut", async () => {
    const body = Array.from({ length: 2500 }, (_, i) => `+line ${i + 1}`).join("\n");
    finishedRun(changes({ patch: `--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,2500 @@\n${body}\n`, truncated: true }));
    const { user } = renderAt("#/runs/run_1");
    const diff = await screen.findByLabelText("Diff of the run's changes");
    expect(diff.children).toHaveLength(2000);
    expect(screen.getByTestId("run-changes")).toHaveTextContent("The diff was cut at its size limit.");

    await user.click(screen.getByRole("button", { name: "Show all" }));
    expect(screen.getByLabelText("Diff of the run's changes").children).toHaveLength(2503);
    expect(screen.getByText("+line 2500")).toBeInTheDocument();
  });

  it("a worktree run continued by a follow-up links it and offers no Apply or Discard of its own", async () => {
    finishedRun(changes({ worktree: worktreeChanges({ review: "superseded", superseded_by: "run_2" }) }));
    renderAt("#/runs/run_1");
    const review = await screen.findByTestId("run-review");
    expect(review).toHaveTextContent("its review holds these changes and its own");
    expect(within(review).getByRole("link", { name: "a follow-up" })).toHaveAttribute("href", "#/runs/run_2");
    expect(screen.queryByTestId("apply-run")).toBeNull();
    expect(screen.queryByTestId("discard-run")).toBeNull();
  });

  it("a pending worktree run: Apply calls apply_run and shows it applied", async () => {
    const calls = finishedRun(pending(), {
      apply_run: () => ({ kind: "applied", commit: "abcdef0123456789", files: ["src/lib.rs"] }),
    });
    const { user } = renderAt("#/runs/run_1");
    const section = await screen.findByTestId("run-changes");
    await waitFor(() => expect(section).toHaveTextContent("autowork/nightly"));
    expect(section).toHaveTextContent("/home/me/project/.autowork/worktrees/nightly");
    expect(screen.getByTestId("run-review")).toHaveTextContent("Waiting for review");

    await user.click(screen.getByTestId("apply-run"));
    await waitFor(() => expect(screen.getByTestId("run-review")).toHaveTextContent("Applied as abcdef0."));
    expect(callsOf(calls, "apply_run")).toEqual([{ runId: "run_1" }]);
    expect(screen.getByTestId("apply-outcome")).toHaveTextContent("src/lib.rs");
    expect(screen.getByText("Applied 1 file to the workspace as abcdef0.")).toBeInTheDocument();
    expect(screen.queryByTestId("apply-run")).not.toBeInTheDocument();
    expect(screen.queryByTestId("discard-run")).not.toBeInTheDocument();
  });

  it("disables Apply and Discard while the request is in flight", async () => {
    let answer: (value: unknown) => void = () => {};
    finishedRun(pending(), { apply_run: () => new Promise((resolve) => (answer = resolve)) });
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("apply-run"));
    expect(screen.getByTestId("apply-run")).toBeDisabled();
    expect(screen.getByTestId("discard-run")).toBeDisabled();
    answer({ kind: "conflict", paths: ["a.txt"], message: "conflict" });
    await waitFor(() => expect(screen.getByTestId("apply-run")).toBeEnabled());
  });

  it("a conflicting apply lists the paths and says nothing was changed", async () => {
    finishedRun(pending(), {
      apply_run: () => ({
        kind: "conflict",
        paths: ["src/lib.rs", "README.md"],
        message: "the workspace's branch changed the same lines",
      }),
    });
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("apply-run"));
    const outcome = await screen.findByTestId("apply-outcome");
    expect(outcome).toHaveTextContent("nothing was changed");
    expect(outcome).toHaveTextContent("the workspace's branch changed the same lines");
    expect(within(outcome).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["src/lib.rs", "README.md"]);
    // Still pending: the person can fix the workspace and try again.
    expect(screen.getByTestId("run-review")).toHaveTextContent("Waiting for review");
    expect(screen.getByTestId("apply-run")).toBeEnabled();
  });

  it("uncommitted local changes refuse the apply with their paths", async () => {
    finishedRun(pending(), {
      apply_run: () => ({ kind: "local_changes", paths: ["src/lib.rs"], message: "commit or stash them first" }),
    });
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("apply-run"));
    const outcome = await screen.findByTestId("apply-outcome");
    expect(outcome).toHaveTextContent("Uncommitted changes in the workspace");
    expect(outcome).toHaveTextContent("src/lib.rs");
    expect(outcome).toHaveTextContent("commit or stash them first");
  });

  it("an apply that fails shows the error as a notice", async () => {
    finishedRun(pending(), {
      apply_run: () => {
        throw apiError({ kind: "internal", error: "internal", message: "git exploded" });
      },
    });
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("apply-run"));
    expect(await screen.findByText("Could not apply: git exploded")).toBeInTheDocument();
    expect(screen.queryByTestId("apply-outcome")).not.toBeInTheDocument();
  });

  it("Discard asks first; Keep them calls nothing, Discard calls discard_run", async () => {
    const calls = finishedRun(pending());
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("discard-run"));
    let dialog = screen.getByRole("dialog", { name: "Discard this run's changes?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep them" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(callsOf(calls, "discard_run")).toEqual([]);

    await user.click(screen.getByTestId("discard-run"));
    dialog = screen.getByRole("dialog", { name: "Discard this run's changes?" });
    await user.click(within(dialog).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(screen.getByTestId("run-review")).toHaveTextContent("Discarded."));
    expect(callsOf(calls, "discard_run")).toEqual([{ runId: "run_1" }]);
    expect(screen.queryByTestId("apply-run")).not.toBeInTheDocument();
  });
});
