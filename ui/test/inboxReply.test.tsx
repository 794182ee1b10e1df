import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Blocker, Run } from "../src/api";
import { apiError, automation, callsOf, inboxOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

function waitingOn(blocker: Blocker, over: Partial<Run> = {}): Run {
  return run({ id: "run_w", state: "awaiting_input", blocker, revision: 3, ...over });
}

const permission: Blocker = {
  kind: "permission",
  request_id: "req_1",
  tool: "bash",
  summary: "cargo test",
  always: ["allow cargo test …", "allow cargo …"],
};

/** The inbox with `runs` in it; `reply` answers both kinds of blocker. */
function inboxWith(runs: Run[], reply: () => unknown) {
  return mockBackend({
    inbox_view: () => inboxOf(runs),
    list_automations: () => [automation()],
    reply_permission: reply,
    answer_question: reply,
  });
}

describe("answering from the inbox", () => {
  it("approves a permission once from its row; the row shows the run going on, out of the waiting group", async () => {
    const waiting = waitingOn(permission);
    const calls = inboxWith([waiting], () => ({ ...waiting, state: "running", blocker: null, revision: 4 }));
    const { user } = renderAt("#/inbox");
    const row = within(await screen.findByTestId("inbox-waiting")).getByTestId("inbox-item");
    expect(row).toHaveTextContent("wants to use bash: cargo test");

    await user.click(within(row).getByRole("button", { name: "Approve once" }));
    await waitFor(() => expect(screen.queryByTestId("inbox-waiting")).not.toBeInTheDocument());
    expect(callsOf(calls, "reply_permission")).toEqual([
      expect.objectContaining({ requestId: "req_1", decision: "once", message: null }),
    ]);
    const moved = within(screen.getByTestId("inbox-rest")).getByTestId("inbox-item");
    expect(within(moved).getByText("Running")).toBeInTheDocument();
    expect(within(moved).queryByRole("button", { name: "Approve once" })).not.toBeInTheDocument();
  });

  it("offers Always with the narrowest rule the engine suggests, and Reject", async () => {
    const waiting = waitingOn(permission);
    const calls = inboxWith([waiting], () => ({ ...waiting, state: "running", blocker: null, revision: 4 }));
    const { user } = renderAt("#/inbox");
    const always = await screen.findByRole("button", { name: "Always allow" });
    expect(always).toHaveAccessibleDescription("Always allow adds: allow cargo test … and 1 more");
    await user.click(always);
    await waitFor(() => expect(callsOf(calls, "reply_permission")).toHaveLength(1));
    expect(callsOf(calls, "reply_permission")[0]).toMatchObject({ requestId: "req_1", decision: "always" });
  });

  it("rejects, and offers no Always when no rule can allow the call", async () => {
    const waiting = waitingOn({ ...permission, always: [] });
    const calls = inboxWith([waiting], () => ({ ...waiting, state: "running", blocker: null, revision: 4 }));
    const { user } = renderAt("#/inbox");
    await user.click(await screen.findByRole("button", { name: "Reject" }));
    await waitFor(() => expect(callsOf(calls, "reply_permission")).toHaveLength(1));
    expect(callsOf(calls, "reply_permission")[0]).toMatchObject({ requestId: "req_1", decision: "reject", message: null });
    expect(screen.queryByRole("button", { name: "Always allow" })).not.toBeInTheDocument();
  });

  it("answers questions from the row: a choice by its button, a free-text one by typing", async () => {
    const waiting = waitingOn({
      kind: "question",
      call_id: "call_1",
      questions: [{ question: "Which branch?", choices: ["main", "dev"] }, { question: "Why?" }],
    });
    const calls = inboxWith([waiting], () => ({ ...waiting, state: "running", blocker: null, revision: 4 }));
    const { user } = renderAt("#/inbox");
    const send = await screen.findByRole("button", { name: "Send" });
    expect(send).toBeDisabled();

    const branch = screen.getByRole("group", { name: "Which branch?" });
    await user.click(within(branch).getByRole("button", { name: "dev" }));
    expect(within(branch).getByRole("button", { name: "dev" })).toHaveAttribute("aria-pressed", "true");
    expect(send).toBeDisabled();
    await user.type(screen.getByLabelText("Why?"), " the fix is there ");
    await user.click(send);

    await waitFor(() => expect(callsOf(calls, "answer_question")).toEqual([{ callId: "call_1", answers: ["dev", "the fix is there"] }]));
    await waitFor(() => expect(screen.queryByTestId("inbox-waiting")).not.toBeInTheDocument());
  });

  it("says in plain words why an answer failed, and the run stays waiting", async () => {
    const waiting = waitingOn(permission);
    inboxWith([waiting], () => {
      throw apiError({
        kind: "conflict",
        error: "illegal_transition",
        message: "the run is not awaiting_input",
        current_state: "stopped",
      });
    });
    const { user } = renderAt("#/inbox");
    await user.click(await screen.findByRole("button", { name: "Approve once" }));
    const row = within(screen.getByTestId("inbox-waiting")).getByTestId("inbox-item");
    expect(await within(row).findByRole("alert")).toHaveTextContent("the run has moved on: it is stopped now");
    expect(within(row).getByRole("button", { name: "Approve once" })).toBeEnabled();
  });
});
