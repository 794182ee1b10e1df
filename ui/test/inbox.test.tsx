import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { automation, callsOf, emitEngine, inboxOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const waiting = run({
  id: "run_w",
  state: "awaiting_input",
  queued_at: "2030-01-02T00:00:00Z",
  blocker: { kind: "permission", request_id: "req_1", tool: "bash", summary: "cargo test" },
});
const done = run({ id: "run_d", state: "succeeded", result: "All green.", finished_at: "2030-01-01T00:05:00Z" });

describe("inbox", () => {
  it("counts every inbox line in the navigation badge, and says 200+ above 200", async () => {
    let inbox = inboxOf([waiting, done]);
    mockBackend({ inbox_view: () => inbox, list_automations: () => [automation()] });
    renderAt("#/automations");
    expect(await screen.findByTestId("inbox-count")).toHaveTextContent("2");

    // The waiting run got its answer and went on: the engine no longer lists it.
    inbox = inboxOf([done]);
    await emitEngine({ kind: "run.updated", payload: { ...waiting, state: "running", blocker: null, revision: 2 } });
    await waitFor(() => expect(screen.getByTestId("inbox-count")).toHaveTextContent("1"), { timeout: 2000 });

    // A night of failures: the engine lists 200 of them but counts them all.
    inbox = inboxOf([done], { counts: { needs_me: 0, failed: 240, total: 241 }, truncated: true });
    await emitEngine({ kind: "run.updated", payload: run({ id: "run_f", state: "failed", revision: 2 }) });
    await waitFor(() => expect(screen.getByTestId("inbox-count")).toHaveTextContent("200+"), { timeout: 2000 });
  });

  it("lists runs waiting for input first and apart; opening a finished one marks it seen", async () => {
    let inbox = inboxOf([waiting, done]);
    const calls = mockBackend({
      inbox_view: () => inbox,
      list_automations: () => [automation()],
      get_run: (a) => ({ run: a.runId === "run_d" ? done : waiting, transcript: [] }),
      mark_seen: () => {
        inbox = inboxOf([waiting]);
        return 1;
      },
    });
    const { user } = renderAt("#/inbox");
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(2));
    const group = screen.getByTestId("inbox-waiting");
    expect(within(group).getByTestId("inbox-item")).toHaveTextContent("wants to use bash: cargo test");
    expect(within(screen.getByTestId("inbox-rest")).getByTestId("inbox-item")).toHaveTextContent("All green.");
    expect(screen.getAllByLabelText("Unread")).toHaveLength(2);

    await user.click(screen.getByText("All green."));
    await waitFor(() => expect(callsOf(calls, "mark_seen")).toEqual([{ runIds: ["run_d"] }]));
    await waitFor(() => expect(screen.getByTestId("inbox-count")).toHaveTextContent("1"));
  });

  it("asks the engine for the tab's lines and shows its counts on the tabs", async () => {
    const failed = run({ id: "run_f", state: "failed", error: { code: "execution_failed", message: "tests broke" } });
    const calls = mockBackend({
      inbox_view: (a) =>
        inboxOf(a.filter === "failed" ? [failed] : [waiting, failed, done], {
          counts: { needs_me: 1, failed: 4, total: 9 },
        }),
      list_automations: () => [automation()],
    });
    const { user } = renderAt("#/inbox");
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(3));
    expect(screen.getByTestId("inbox-tab-all")).toHaveTextContent("All 9");
    expect(screen.getByTestId("inbox-tab-needs_me")).toHaveTextContent("Needs me 1");
    expect(screen.getByTestId("inbox-tab-failed")).toHaveTextContent("Failed 4");
    expect(screen.getByTestId("inbox-tab-unread")).toHaveTextContent("Unread 9");

    await user.click(screen.getByTestId("inbox-tab-failed"));
    await waitFor(() => expect(callsOf(calls, "inbox_view").at(-1)).toEqual({ filter: "failed" }));
    expect(screen.getByTestId("inbox-tab-failed")).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(1));
    expect(screen.getByTestId("inbox-item")).toHaveTextContent("tests broke");

    // The tabs are one stop in the tab order; the arrow keys move between them.
    await user.keyboard("{ArrowRight}");
    expect(screen.getByTestId("inbox-tab-unread")).toHaveFocus();
    await waitFor(() => expect(callsOf(calls, "inbox_view").at(-1)).toEqual({ filter: "all" }));
  });

  it("Unread leaves out the runs opened in this window, which All still lists", async () => {
    const other = run({ id: "run_o", state: "succeeded", result: "Docs updated.", finished_at: "2030-01-01T00:04:00Z" });
    let inbox = inboxOf([waiting, done, other]);
    mockBackend({
      inbox_view: () => inbox,
      list_automations: () => [automation()],
      get_run: (a) => ({ run: a.runId === "run_d" ? done : other, transcript: [] }),
      mark_seen: () => {
        inbox = inboxOf([waiting, other]);
        return 1;
      },
    });
    const { user } = renderAt("#/inbox");
    await user.click(await screen.findByText("All green."));
    await screen.findByTestId("run-result");
    await user.click(screen.getByTestId("nav-inbox"));

    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(3));
    expect(screen.getAllByLabelText("Unread")).toHaveLength(2);
    expect(screen.getByTestId("inbox-tab-all")).toHaveTextContent("All 3");
    expect(screen.getByTestId("inbox-tab-unread")).toHaveTextContent("Unread 2");

    await user.click(screen.getByTestId("inbox-tab-unread"));
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(2));
    expect(screen.queryByText("All green.")).not.toBeInTheDocument();
    expect(screen.getByText("Docs updated.")).toBeInTheDocument();
  });
});

describe("inbox after viewing other runs", () => {
  it("does not list a finished run that was never in it", async () => {
    const calls = mockBackend({
      get_run: () => ({ run: run({ id: "run_old", state: "succeeded", result: "Old." }), transcript: [] }),
    });
    const { user } = renderAt("#/runs/run_old");
    await screen.findByTestId("run-result");
    await waitFor(() => expect(callsOf(calls, "mark_seen")).toHaveLength(1));
    await user.click(screen.getByTestId("nav-inbox"));
    expect(await screen.findByText("Nothing needs you")).toBeInTheDocument();
    expect(screen.queryByTestId("inbox-count")).not.toBeInTheDocument();
  });
});
