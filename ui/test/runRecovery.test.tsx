import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Run } from "../src/bindings";
import { ApiFailure, errorText } from "../src/api";
import { detailText, providerFailure, runErrorMessage } from "../src/messages";
import { automation, callsOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const failed = (over: Partial<Run> = {}) =>
  run({
    state: "failed",
    revision: 5,
    finished_at: "2030-01-01T00:02:00Z",
    error: { code: "provider_error", message: "no API key: set one for `mock` under Settings -> Providers" },
    ...over,
  });

function openRun(shown: Run, automations = [automation()]) {
  const calls = mockBackend({
    list_automations: () => automations,
    get_run: (a) => ({ run: a.runId === shown.id ? shown : run({ id: a.runId as string, state: "queued" }), transcript: [] }),
    run_now: () => run({ id: "run_2", state: "queued", revision: 1 }),
  });
  return { calls, ...renderAt(`#/runs/${shown.id}`) };
}

describe("recovering from a failed run", () => {
  it("Retry starts a new run of the same automation and opens it", async () => {
    const { calls, user } = openRun(failed());
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_2"));
    expect(callsOf(calls, "run_now")).toEqual([{ id: "aut_1" }]);
  });

  it("offers Retry on a stopped run, but not on an active one or once the automation is gone", async () => {
    const stopped = run({ state: "stopped", stop_reason: "cancelled", finished_at: "2030-01-01T00:02:00Z" });
    openRun(stopped);
    expect(await screen.findByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("has no Retry while the run is active", async () => {
    openRun(run({ state: "running" }));
    await screen.findByTestId("cancel-run");
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("has no Retry when the automation was deleted", async () => {
    openRun(failed(), []);
    await screen.findByTestId("run-result");
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("says a provider failure in plain words once, points to Settings and copies the engine's code", async () => {
    const { user } = openRun(failed());
    const outcome = await screen.findByTestId("run-result");
    expect(within(outcome).getByRole("heading")).toHaveTextContent("The model provider failed");
    expect(outcome).toHaveTextContent("No API key: set one for `mock` under Settings -> Providers.");
    expect(outcome.textContent?.match(/no API key/gi)).toHaveLength(1);
    expect(within(outcome).getByRole("link", { name: "check it in Settings" })).toHaveAttribute("href", "#/settings");
    expect(within(outcome).getByRole("link", { name: "Fix the provider" })).toHaveAttribute(
      "href",
      expect.stringMatching(/^#\/connect\?provider=/),
    );
    expect(screen.getByTestId("run-state")).toHaveTextContent("Failed");
    expect(screen.getByTestId("run-state")).toHaveAttribute("data-state", "failed");
    expect(screen.getByTestId("run-state").parentElement).toHaveTextContent("provider failed");

    // The code is there for support, and copies with the raw message.
    expect(within(outcome).getByTestId("error-code")).toHaveTextContent("provider_error");
    await user.click(within(outcome).getByRole("button", { name: "Copy details" }));
    expect(await navigator.clipboard.readText()).toBe(
      "run: run_1\ncode: provider_error\nmessage: no API key: set one for `mock` under Settings -> Providers",
    );
    expect(within(outcome).getByRole("button", { name: "Copied" })).toBeInTheDocument();
  });

  it("words other failures without a Settings link, and stop reasons as words", async () => {
    openRun(
      failed({
        error: {
          code: "needs_user_input",
          message: "needs user input: wanted to run `git push` (the run was unattended, so nobody could answer)",
        },
      }),
    );
    const outcome = await screen.findByTestId("run-result");
    expect(within(outcome).getByRole("heading")).toHaveTextContent("It needed an answer, but nobody was there");
    expect(outcome).toHaveTextContent("Wanted to run `git push` (the run was unattended, so nobody could answer)");
    expect(outcome).not.toHaveTextContent("needs user input");
    expect(within(outcome).queryByRole("link")).toBeNull();
  });

  it("points to the provider's settings only when they are the fix, and says a passing failure is worth a retry", async () => {
    const { unmount } = openRun(
      failed({ error: { code: "provider_error", message: "the provider answered 401: Incorrect API key provided" } }),
    );
    let outcome = await screen.findByTestId("run-result");
    expect(within(outcome).getByRole("link", { name: "Fix the provider" })).toBeInTheDocument();
    expect(within(outcome).queryByTestId("provider-retry")).toBeNull();
    unmount();

    openRun(failed({ id: "run_9", error: { code: "provider_error", message: "the provider answered 429: Rate limit reached" } }));
    outcome = await screen.findByTestId("run-result");
    expect(within(outcome).queryByRole("link")).toBeNull();
    expect(within(outcome).getByTestId("provider-retry")).toHaveTextContent("run it again");
  });

  it("says why a run was stopped in words", async () => {
    openRun(run({ state: "stopped", stop_reason: "blocker_lost", finished_at: "2030-01-01T00:02:00Z" }));
    const outcome = await screen.findByTestId("run-result");
    expect(outcome).toHaveTextContent("Stopped: the app closed while it waited for you");
    expect(screen.getByTestId("run-state").parentElement).not.toHaveTextContent(/_/);
  });
});

describe("what a provider failure calls for", () => {
  const failure = (message: string, code: "provider_error" | "execution_failed" = "provider_error") =>
    providerFailure({ code, message });

  it("the provider's settings, when its key, its address or its name is wrong", () => {
    for (const message of [
      "the provider answered 401: Incorrect API key provided",
      "the provider answered 403: forbidden",
      "the provider answered 404: not found",
      "no API key: provider `openai` has no usable API key and $OPENAI_API_KEY is not set",
      "could not reach the provider at http://127.0.0.1:9/v1: error sending request for url (http://127.0.0.1:9/v1/chat/completions)",
      "the provider stalled: no answer after 4 attempt(s) and 2 min of waiting (the last: could not reach the provider at http://10.0.0.9/v1: error sending request); check that it is up",
    ]) {
      expect(failure(message), message).toBe("setup");
    }
    expect(failure("provider `gone` is not configured; add it under Settings -> Providers", "execution_failed")).toBe("setup");
  });

  it("a retry, when the provider was busy, failing or slow", () => {
    for (const message of [
      "the provider answered 429: Rate limit reached for requests",
      "the provider answered 500: internal error",
      "the provider answered 503: overloaded",
      "the provider answered 529: overloaded",
      "the provider did not answer within 120s",
      "the stream ended before the model finished: connection closed",
      "could not reach the provider at https://api.openai.com/v1: operation timed out",
      "the provider stalled: no answer after 4 attempt(s) and 2 min of waiting (the last: the provider answered 503: busy); check that it is up",
    ]) {
      expect(failure(message), message).toBe("transient");
    }
  });

  it("neither, when the request itself was the problem or the failure is not the provider's", () => {
    expect(failure("the provider answered 400: This model's maximum context length is 8192 tokens.")).toBeNull();
    expect(failure("the provider sent something malformed: expected value at line 1")).toBeNull();
    expect(failure("the work area is busy", "execution_failed")).toBeNull();
    expect(providerFailure({ code: "timeout", message: "the run hit its time limit" })).toBeNull();
  });
});

describe("errors in plain words", () => {
  const invalid = new ApiFailure({
    kind: "validation",
    error: "invalid_input",
    message: "invalid input: trigger: invalid_schedule",
    details: [{ field: "trigger", message: "invalid_schedule", hint: "the cron expression never fires" }],
  });

  it("an invalid input reads as its details, without the engine's prefix or codes", () => {
    expect(errorText(invalid)).toBe("This schedule cannot be computed. The cron expression never fires.");
  });

  it("an error shown as the hint of the same detail is said once", () => {
    const shown = detailText({ field: "trigger", message: "invalid_schedule", hint: errorText(invalid) });
    expect(shown).toBe("This schedule cannot be computed. The cron expression never fires.");
  });

  it("several details each name their field, and a repeated one is said once", () => {
    const many = new ApiFailure({
      kind: "validation",
      error: "invalid_automation",
      message: "invalid automation: title: required, permissions[2].action: required, title: required",
      details: [
        { field: "title", message: "required" },
        { field: "permissions[2].action", message: "required" },
        { field: "title", message: "required" },
      ],
    });
    expect(errorText(many)).toBe("Title: Required. Permissions 3 action: Required.");
  });

  it("a run that moved on names its state in words", () => {
    const moved = new ApiFailure({
      kind: "conflict",
      error: "illegal_transition",
      message: "run `run_1` cannot go from awaiting_input to awaiting_input",
      current_state: "awaiting_input",
    });
    expect(errorText(moved)).toBe("the run has moved on: it is waiting for you now");
    const other = new ApiFailure({ kind: "internal", error: "internal", message: "run `run_1` is awaiting_input" });
    expect(errorText(other)).toBe("run `run_1` is waiting for you");
  });

  it("a run error's message drops a prefix that repeats its code", () => {
    expect(runErrorMessage("step_cap", "the run used all 40 steps without finishing")).toBe(
      "The run used all 40 steps without finishing.",
    );
    expect(runErrorMessage("needs_user_input", "needs user input: wanted to run `x`")).toBe("Wanted to run `x`.");
  });
});
