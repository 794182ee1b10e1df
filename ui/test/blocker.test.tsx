import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Blocker } from "../src/bindings";
import { callsOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const permission: Blocker = {
  kind: "permission",
  request_id: "req_7",
  tool: "edit",
  summary: "edit src/lib.rs",
  preview: "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1 +1 @@\n-fn old() {}\n+fn new() {}",
  always: ["allow edit: src/lib.rs"],
};

function blockedRun(blocker: Blocker) {
  const waiting = run({ state: "awaiting_input", blocker, revision: 4 });
  return mockBackend({
    get_run: () => ({ run: waiting, transcript: [] }),
    reply_permission: () => ({ ...waiting, state: "running", blocker: null, revision: 5 }),
    answer_question: () => ({ ...waiting, state: "running", blocker: null, revision: 5 }),
  });
}

describe("blocker panel", () => {
  it("shows the permission with its diff, and Allow once replies `once` for that request", async () => {
    const calls = blockedRun(permission);
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    expect(panel).toHaveTextContent("edit src/lib.rs");
    expect(within(panel).getByText("+fn new() {}")).toHaveClass("diff-add");
    expect(within(panel).getByText("-fn old() {}")).toHaveClass("diff-del");
    expect(screen.getByTestId("run-state")).toHaveTextContent("Waiting for you");

    await user.click(screen.getByTestId("approve-once"));
    await waitFor(() =>
      expect(callsOf(calls, "reply_permission")).toEqual([{ requestId: "req_7", decision: "once", message: null, alwaysChoice: null }]),
    );
    // The reply's run (now running) replaces the blocked one: the panel goes away.
    await waitFor(() => expect(screen.queryByTestId("blocker-panel")).not.toBeInTheDocument());
    expect(screen.getByTestId("run-state")).toHaveTextContent("Running");
  });

  it("Always allow replies `always`", async () => {
    const calls = blockedRun(permission);
    const { user } = renderAt("#/runs/run_1");
    await user.click(await screen.findByTestId("approve-always"));
    await waitFor(() => expect(callsOf(calls, "reply_permission")[0]).toMatchObject({ decision: "always" }));
  });

  it("says why a command asks and what Always allow would add", async () => {
    const calls = blockedRun({
      kind: "permission",
      request_id: "req_8",
      tool: "bash",
      summary: "cargo fmt && cargo test",
      reason: "no rule allows `cargo fmt`",
      always: ["allow exactly: cargo fmt"],
    });
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    expect(within(panel).getByTestId("blocker-reason")).toHaveTextContent("no rule allows cargo fmt");
    expect(within(within(panel).getByTestId("blocker-reason")).getByText("cargo fmt").tagName).toBe("CODE");
    expect(within(panel).getByTestId("always-adds")).toHaveTextContent("Always allow adds: allow exactly: cargo fmt");
    expect(within(panel).queryByTestId("once-only")).not.toBeInTheDocument();
    const always = within(panel).getByRole("button", { name: "Always allow" });
    expect(always).toHaveAccessibleDescription(/allow exactly: cargo fmt/);
    await user.click(always);
    await waitFor(() =>
      expect(callsOf(calls, "reply_permission")).toEqual([{ requestId: "req_8", decision: "always", message: null, alwaysChoice: null }]),
    );
  });

  it("lets the user pick a wider rule for Always allow, and sends which", async () => {
    const calls = blockedRun({
      kind: "permission",
      request_id: "req_10",
      tool: "bash",
      summary: "cargo test -p core",
      reason: "no rule allows `cargo test -p core`",
      always: ["allow exactly: cargo test -p core"],
      always_options: [
        { label: "allow exactly: cargo test -p core", rules: [] },
        { label: "allow cargo test -p core …", rules: [] },
        { label: "allow cargo test …", rules: [] },
      ],
    });
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    const scope = within(panel).getByTestId("always-scope");
    expect(within(panel).getByTestId("always-adds")).toHaveTextContent("allow exactly: cargo test -p core");
    await user.selectOptions(scope, "2");
    expect(within(panel).getByTestId("always-adds")).toHaveTextContent("Always allow adds: allow cargo test …");
    await user.click(within(panel).getByTestId("approve-always"));
    await waitFor(() =>
      expect(callsOf(calls, "reply_permission")).toEqual([
        { requestId: "req_10", decision: "always", message: null, alwaysChoice: 2 },
      ]),
    );
  });

  it("offers only Allow once and Reject for a script no rule can allow", async () => {
    const calls = blockedRun({
      kind: "permission",
      request_id: "req_9",
      tool: "bash",
      summary: "echo $(cat secrets.txt)",
      reason: "no rule can allow this script: it uses command substitution (`$(...)` or backticks)",
      always: [],
    });
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    expect(within(panel).getByTestId("blocker-reason")).toHaveTextContent(/it uses command substitution/);
    expect(within(panel).queryByTestId("approve-always")).not.toBeInTheDocument();
    expect(within(panel).getByTestId("once-only")).toHaveTextContent(
      "This script can't be allowed by a rule (it uses command substitution ($(...) or backticks)); it can only be allowed once.",
    );
    expect(within(panel).getByRole("button", { name: "Reject" })).toBeEnabled();
    await user.click(within(panel).getByRole("button", { name: "Allow once" }));
    await waitFor(() => expect(callsOf(calls, "reply_permission")[0]).toMatchObject({ requestId: "req_9", decision: "once" }));
  });

  it("Reject sends the message typed for the agent", async () => {
    const calls = blockedRun(permission);
    const { user } = renderAt("#/runs/run_1");
    await user.type(await screen.findByLabelText(/Message for the agent/), "Fix the test, not the code");
    await user.click(screen.getByTestId("reject"));
    await waitFor(() =>
      expect(callsOf(calls, "reply_permission")).toEqual([
        { requestId: "req_7", decision: "reject", message: "Fix the test, not the code", alwaysChoice: null },
      ]),
    );
  });

  it("answers a question with the chosen option", async () => {
    const calls = blockedRun({
      kind: "question",
      call_id: "call_3",
      questions: [{ question: "Which branch?", choices: ["main", "develop"] }],
    });
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    expect(within(panel).getByRole("group", { name: "Which branch?" })).toBeInTheDocument();
    const submit = within(panel).getByRole("button", { name: "Submit" });
    expect(submit).toBeDisabled();
    await user.click(within(panel).getByRole("radio", { name: "develop" }));
    await user.click(submit);
    await waitFor(() => expect(callsOf(calls, "answer_question")).toEqual([{ callId: "call_3", answers: ["develop"] }]));
  });

  it("answers an open question with the typed text", async () => {
    const calls = blockedRun({
      kind: "question",
      call_id: "call_4",
      questions: [{ question: "Which version?", choices: [] }],
    });
    const { user } = renderAt("#/runs/run_1");
    await user.type(await screen.findByLabelText("Which version?"), "2.1");
    await user.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(callsOf(calls, "answer_question")).toEqual([{ callId: "call_4", answers: ["2.1"] }]));
  });

  it("a view that fails shows what failed and a way back, not a blank window", async () => {
    // A blocker the view cannot read (a question without its text): the form throws.
    blockedRun({
      kind: "question",
      call_id: "call_5",
      questions: null as unknown as [],
    });
    const { user } = renderAt("#/runs/run_1");
    const failed = await screen.findByTestId("view-failed");
    expect(failed).toHaveTextContent("This view could not be shown");
    await user.click(within(failed).getByRole("button", { name: "Back to automations" }));
    await waitFor(() => expect(screen.queryByTestId("view-failed")).not.toBeInTheDocument());
    expect(window.location.hash).toBe("#/automations");
  });

  it("a free-text question without choices gets a text box", async () => {
    const calls = blockedRun({ kind: "question", call_id: "call_6", questions: [{ question: "Which tag?" }] });
    const { user } = renderAt("#/runs/run_1");
    await user.type(await screen.findByLabelText("Which tag?"), "v2");
    await user.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(callsOf(calls, "answer_question")).toEqual([{ callId: "call_6", answers: ["v2"] }]));
  });

  it("tells the shell which run is in view, and that none is when leaving", async () => {
    const calls = blockedRun(permission);
    const { user } = renderAt("#/runs/run_1");
    await screen.findByTestId("blocker-panel");
    await user.click(screen.getByTestId("nav-settings"));
    await waitFor(() =>
      expect(callsOf(calls, "set_focused_run").map((a) => a.runId)).toEqual(["run_1", null]),
    );
  });
});
