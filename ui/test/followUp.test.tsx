import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Automation, Run } from "../src/bindings";
import { apiError, automation, callsOf, changes, mockBackend, run, worktreeChanges, type Handler } from "./backend";
import { renderAt } from "./render";

const succeeded = (over: Partial<Run> = {}) =>
  run({ state: "succeeded", result: "Fixed the tests.", finished_at: "2030-01-01T00:02:00Z", ...over });

function openRun(shown: Run, automations: Automation[] = [automation()], followUp?: () => Run, more: Record<string, Handler> = {}) {
  const calls = mockBackend({
    ...more,
    list_automations: () => automations,
    get_run: (a) => ({ run: a.runId === shown.id ? shown : run({ id: a.runId as string, state: "queued" }), transcript: [] }),
    follow_up_run: followUp ?? (() => run({ id: "run_2", state: "queued", follow_up: { of: shown.id, message: "more" } })),
  });
  return { calls, ...renderAt(`#/runs/${shown.id}`) };
}

describe("following up a finished run", () => {
  it("sends the message under the result and opens the new run", async () => {
    const { calls, user } = openRun(succeeded());
    const box = await screen.findByRole("form", { name: "Follow up" });
    const send = within(box).getByRole("button", { name: "Follow up" });
    expect(send).toBeDisabled();
    await user.type(within(box).getByRole("textbox", { name: "Follow up" }), "now also fix the lint warning");
    await user.click(send);
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_2"));
    expect(callsOf(calls, "follow_up_run")).toEqual([{ runId: "run_1", message: "now also fix the lint warning" }]);
  });

  it("sends with Ctrl+Enter", async () => {
    const { calls, user } = openRun(succeeded());
    await user.type(await screen.findByRole("textbox", { name: "Follow up" }), "and the docs{Control>}{Enter}{/Control}");
    await waitFor(() => expect(callsOf(calls, "follow_up_run")).toHaveLength(1));
  });

  it("shows what the engine refused next to the box and keeps the message", async () => {
    const { user } = openRun(succeeded(), [automation()], () => {
      throw apiError({
        kind: "validation",
        error: "invalid_input",
        message: "invalid input",
        details: [{ field: "run_id", message: "run run_1 ended before it talked to the model: there is no conversation to continue" }],
      });
    });
    const field = await screen.findByRole("textbox", { name: "Follow up" });
    await user.type(field, "more");
    await user.click(screen.getByRole("button", { name: "Follow up" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no conversation to continue");
    expect(field).toHaveValue("more");
    expect(field).toHaveAttribute("aria-invalid", "true");
  });

  it("is not offered while the run is active, without a conversation, or once the automation is gone", async () => {
    openRun(run({ state: "running" }));
    await screen.findByTestId("cancel-run");
    expect(screen.queryByRole("form", { name: "Follow up" })).toBeNull();
  });

  it("is not offered for a run that never talked to the model", async () => {
    openRun(succeeded({ session_id: null }));
    await screen.findByTestId("run-result");
    expect(screen.queryByRole("form", { name: "Follow up" })).toBeNull();
  });

  it("is not offered once the automation is deleted", async () => {
    openRun(succeeded(), []);
    await screen.findByTestId("run-result");
    expect(screen.queryByRole("form", { name: "Follow up" })).toBeNull();
  });

  it("follows up a worktree run, saying it continues on top of the unapplied changes", async () => {
    const { calls, user } = openRun(succeeded(), [automation({ placement: { kind: "worktree", name: "nightly" } })], undefined, {
      get_run_changes: () => changes({ worktree: worktreeChanges() }),
    });
    const box = await screen.findByRole("form", { name: "Follow up" });
    await waitFor(() => expect(within(box).getByTestId("follow-up-where")).toHaveTextContent("on top of these unapplied changes"));
    await user.type(within(box).getByRole("textbox", { name: "Follow up" }), "and the changelog");
    await user.click(within(box).getByRole("button", { name: "Follow up" }));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_2"));
    expect(callsOf(calls, "follow_up_run")).toEqual([{ runId: "run_1", message: "and the changelog" }]);
  });

  it("points a worktree run whose changes a follow-up continued to that follow-up", async () => {
    openRun(succeeded(), [automation({ placement: { kind: "worktree", name: "nightly" } })], undefined, {
      get_run_changes: () => changes({ worktree: worktreeChanges({ review: "superseded", superseded_by: "run_7" }) }),
    });
    const note = await screen.findByTestId("follow-up-unavailable");
    expect(within(note).getByRole("link", { name: "its follow-up" })).toHaveAttribute("href", "#/runs/run_7");
    expect(screen.queryByRole("form", { name: "Follow up" })).toBeNull();
  });

  it("says a worktree run whose changes were discarded has nothing to follow up on", async () => {
    openRun(succeeded(), [automation({ placement: { kind: "worktree", name: "nightly" } })], undefined, {
      get_run_changes: () => changes({ worktree: worktreeChanges({ review: "discarded" }) }),
    });
    expect(await screen.findByTestId("follow-up-unavailable")).toHaveTextContent("discarded");
    expect(screen.queryByRole("form", { name: "Follow up" })).toBeNull();
  });

  it("shows the thread: the first run, then its follow-ups, each a link, this run marked", async () => {
    const first = succeeded();
    const second = succeeded({ id: "run_2", follow_up: { of: "run_1", message: "now the docs" }, queued_at: "2030-01-01T00:05:00Z" });
    const third = succeeded({ id: "run_3", follow_up: { of: "run_2", message: "and the changelog" }, queued_at: "2030-01-01T00:09:00Z" });
    const calls = mockBackend({
      list_automations: () => [automation()],
      get_run: () => ({ run: second, transcript: [] }),
      get_run_thread: () => [first, second, third],
    });
    renderAt("#/runs/run_2");
    const thread = await screen.findByRole("navigation", { name: "Thread" });
    const items = within(thread).getAllByTestId("thread-run");
    expect(items.map((i) => i.getAttribute("data-run-id"))).toEqual(["run_1", "run_2", "run_3"]);
    expect(within(items[0]).getByRole("link", { name: "First run" })).toHaveAttribute("href", "#/runs/run_1");
    expect(items[1]).toHaveTextContent("now the docs (this run)");
    expect(within(items[1]).queryByRole("link")).toBeNull();
    expect(within(items[2]).getByRole("link", { name: "and the changelog" })).toHaveAttribute("href", "#/runs/run_3");
    expect(callsOf(calls, "get_run_thread")).toContainEqual({ runId: "run_2" });
  });

  it("shows no thread for a run nobody followed up", async () => {
    mockBackend({
      list_automations: () => [automation()],
      get_run: () => ({ run: succeeded(), transcript: [] }),
      get_run_thread: () => [succeeded()],
    });
    renderAt("#/runs/run_1");
    await screen.findByTestId("run-result");
    expect(screen.queryByRole("navigation", { name: "Thread" })).toBeNull();
  });

  it("links a follow-up to the run it continues, with what was said", async () => {
    openRun(succeeded({ id: "run_2", follow_up: { of: "run_1", message: "now the lint warning" } }));
    const of = await screen.findByTestId("follow-up-of");
    expect(of).toHaveTextContent("now the lint warning");
    expect(within(of).getByRole("link")).toHaveAttribute("href", "#/runs/run_1");
  });
});
