import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { automation, callsOf, emitEngine, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const waiting = run({
  id: "run_w",
  state: "awaiting_input",
  queued_at: "2030-01-02T00:00:00Z",
  blocker: { kind: "permission", request_id: "req_1", tool: "bash", summary: "cargo test" },
});
const done = run({ id: "run_d", state: "succeeded", result: "All green.", finished_at: "2030-01-01T00:05:00Z" });

describe("inbox", () => {
  it("counts what needs the user in the navigation badge", async () => {
    let list = [waiting, done];
    mockBackend({ inbox: () => list, list_automations: () => [automation()] });
    renderAt("#/automations");
    expect(await screen.findByTestId("inbox-count")).toHaveTextContent("2");

    // The waiting run got its answer and went on: the backend no longer lists it.
    list = [done];
    await emitEngine({ kind: "run.updated", payload: { ...waiting, state: "running", blocker: null, revision: 2 } });
    await waitFor(() => expect(screen.getByTestId("inbox-count")).toHaveTextContent("1"), { timeout: 2000 });
  });

  it("lists runs newest first; opening a finished one marks it seen", async () => {
    let list = [done, waiting];
    const calls = mockBackend({
      inbox: () => list,
      list_automations: () => [automation()],
      get_run: (a) => ({ run: a.runId === "run_d" ? done : waiting, transcript: [] }),
      mark_seen: () => {
        list = [waiting];
        return 1;
      },
    });
    const { user } = renderAt("#/inbox");
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(2));
    const items = screen.getAllByTestId("inbox-item");
    expect(items[0]).toHaveTextContent("wants to use bash: cargo test");
    expect(items[1]).toHaveTextContent("All green.");
    expect(screen.getAllByLabelText("Unread")).toHaveLength(2);

    await user.click(screen.getByText("All green."));
    await waitFor(() => expect(callsOf(calls, "mark_seen")).toEqual([{ runIds: ["run_d"] }]));
    expect(screen.getByTestId("inbox-count")).toHaveTextContent("1");
  });
});

describe("inbox after viewing other runs", () => {
  it("does not list a finished run that was never in it", async () => {
    const calls = mockBackend({
      inbox: () => [],
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
