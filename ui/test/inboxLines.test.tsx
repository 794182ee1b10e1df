import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { InboxItem, Run } from "../src/api";
import { automation, callsOf, inboxOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const waiting = run({
  id: "run_w",
  state: "awaiting_input",
  queued_at: "2030-01-10T00:00:00Z",
  blocker: { kind: "question", call_id: "call_1", questions: [{ question: "Ship it?", choices: ["yes", "no"] }] },
});

// Monday 2030-01-07 02:00 to Wednesday 2030-01-09 02:00, local time (as the line shows them).
const missed: InboxItem = {
  kind: "missed_fires",
  automation_id: "aut_1",
  count: 92,
  first_at: new Date(2030, 0, 7, 2, 0).toISOString(),
  last_at: new Date(2030, 0, 9, 2, 0).toISOString(),
  ran_latest: "run_cu",
};

function finished(n: number): Run[] {
  return Array.from({ length: n }, (_, i) =>
    run({
      id: `run_f${String(i).padStart(3, "0")}`,
      state: "succeeded",
      result: `Result ${i}`,
      finished_at: new Date(Date.UTC(2030, 0, 5) - i * 60_000).toISOString(),
    }),
  );
}

describe("missed fires", () => {
  it("fold into one line per automation, link the run that ran the latest, and can be dismissed", async () => {
    let items: (Run | InboxItem)[] = [waiting, missed];
    const calls = mockBackend({
      inbox_view: () => inboxOf(items),
      list_automations: () => [automation()],
      mark_all_seen: () => {
        items = [waiting];
        return 92;
      },
    });
    const { user } = renderAt("#/inbox");
    const line = await screen.findByTestId("inbox-missed");
    expect(line).toHaveTextContent(/^Nightly tests: missed 92 fires while closed \(Mon.*02:00.* – Wed.*02:00.*\); ran the latest/);
    expect(within(line).getByRole("link", { name: "ran the latest" })).toHaveAttribute("href", "#/runs/run_cu");
    expect(screen.getByTestId("inbox-count")).toHaveTextContent("2");

    await user.click(within(line).getByRole("button", { name: "Dismiss the missed fires of Nightly tests" }));
    await waitFor(() => expect(screen.queryByTestId("inbox-missed")).not.toBeInTheDocument());
    expect(callsOf(calls, "mark_all_seen")).toEqual([{ missedOf: "aut_1" }]);
    expect(screen.getByTestId("inbox-count")).toHaveTextContent("1");
    expect(screen.getAllByTestId("inbox-item")).toHaveLength(1);
  });

  it("say when none of them ran", async () => {
    mockBackend({
      inbox_view: () => inboxOf([{ ...missed, count: 1, first_at: missed.last_at, ran_latest: null }]),
      list_automations: () => [automation()],
    });
    renderAt("#/inbox");
    const line = await screen.findByTestId("inbox-missed");
    expect(line).toHaveTextContent(/^Nightly tests: missed 1 fire while closed \(Wed.*02:00.*\)Dismiss$/);
    expect(within(line).queryByRole("link", { name: "ran the latest" })).not.toBeInTheDocument();
  });
});

describe("mark all read", () => {
  it("asks with the count, marks everything finished read, and keeps the runs waiting for input", async () => {
    let items: (Run | InboxItem)[] = [waiting, missed, ...finished(3)];
    const calls = mockBackend({
      inbox_view: () => inboxOf(items),
      list_automations: () => [automation()],
      mark_all_seen: () => {
        items = [waiting];
        return 95;
      },
    });
    const { user } = renderAt("#/inbox");
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(4));

    await user.click(screen.getByTestId("mark-all-read"));
    const dialog = screen.getByRole("dialog", { name: "Mark all read?" });
    expect(dialog).toHaveTextContent("4 lines leave the inbox");
    expect(dialog).toHaveTextContent("The run waiting for you stays.");
    // Cancel has the focus: Enter does not mark anything by accident.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Mark 4 lines read" }));

    expect(await screen.findByText("Marked 95 runs read.")).toBeInTheDocument();
    expect(callsOf(calls, "mark_all_seen")).toEqual([{ missedOf: null }]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("inbox-item")).toHaveLength(1));
    expect(within(screen.getByTestId("inbox-waiting")).getByText("Ship it?")).toBeInTheDocument();
    expect(screen.getByTestId("mark-all-read")).toBeDisabled();
  });
});

describe("an inbox with hundreds of lines", () => {
  // jsdom lays nothing out: every inbox line is 60 px high, as the virtualizer measures it.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockImplementation(function (this: HTMLElement) {
      return this.classList.contains("inbox-item") ? 60 : 0;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("renders only what is on screen, with the runs waiting for input all on top", async () => {
    const waits = [0, 1, 2].map((i) => ({ ...waiting, id: `run_w${i}` }));
    mockBackend({
      inbox_view: () => inboxOf([...waits, ...finished(200)], { counts: { needs_me: 3, failed: 0, total: 243 }, truncated: true }),
      list_automations: () => [automation()],
    });
    renderAt("#/inbox");
    const group = await screen.findByTestId("inbox-waiting");
    expect(within(group).getAllByTestId("inbox-item")).toHaveLength(3);
    const rest = within(screen.getByTestId("inbox-rest")).getAllByTestId("inbox-item");
    expect(rest.length).toBeGreaterThan(5);
    expect(rest.length).toBeLessThan(60);
    expect(rest[0]).toHaveTextContent("Result 0");
    expect(screen.getByTestId("inbox-tab-all")).toHaveTextContent("All 243");
    expect(screen.getByTestId("inbox-truncated")).toHaveTextContent("Only the newest 200 finished runs are listed.");
    expect(screen.getByTestId("inbox-count")).toHaveTextContent("200+");
  });

  it("j moves the selection and the focus to lines not rendered yet", async () => {
    mockBackend({
      inbox_view: () => inboxOf(finished(150)),
      list_automations: () => [automation()],
      get_run: () => ({ run: finished(150)[39], transcript: [] }),
    });
    const { user } = renderAt("#/inbox");
    await screen.findByText("Result 0");
    expect(screen.queryByText("Result 39")).not.toBeInTheDocument();

    await user.keyboard("j".repeat(40));
    const selected = screen.getByText("Result 39").closest("li");
    expect(selected).toHaveAttribute("data-selected", "true");
    expect(selected).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(window.location.hash).toBe("#/runs/run_f039");
  });
});
