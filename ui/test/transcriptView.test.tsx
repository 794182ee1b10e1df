import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message, Part, PartUpdate, Run } from "../src/bindings";
import { emitEngine, mockBackend, run } from "./backend";
import { renderAt } from "./render";

let seq = 0;
function message(role: Message["role"], parts: Part[], over: Partial<Message> = {}): Message {
  seq += 1;
  return {
    id: `msg_${seq}`,
    session_id: "ses_1",
    run_id: "run_1",
    seq,
    role,
    parts,
    created_at: "2030-01-01T00:00:02Z",
    ...over,
  };
}

function call(id: string, tool_name: string, args: Record<string, unknown>): Part {
  return { kind: "tool_call", tool_call_id: id, tool_name, arguments: args as never };
}

function result(id: string, tool_name: string, content: string, is_error = false): Part {
  return { kind: "tool_result", tool_call_id: id, tool_name, content, is_error };
}

function openRun(transcript: Message[], over: Partial<Run> = {}) {
  mockBackend({ get_run: () => ({ run: run(over), transcript }) });
  return renderAt("#/runs/run_1");
}

/**
 * jsdom lays nothing out: give the app's main pane a height, a scroll range and a
 * scrollTo that moves it, so the virtualized transcript scrolls as in the window.
 */
function scrollableMain() {
  const main = document.querySelector("main") as HTMLElement;
  const state = { top: 0, calls: [] as number[] };
  Object.defineProperties(main, {
    scrollTop: {
      configurable: true,
      get: () => state.top,
      set: (v: number) => void (state.top = v),
    },
    scrollHeight: { configurable: true, get: () => 100_000 },
    clientHeight: { configurable: true, get: () => 768 },
  });
  main.scrollTo = ((o: ScrollToOptions) => {
    state.top = o.top ?? state.top;
    state.calls.push(state.top);
    main.dispatchEvent(new Event("scroll"));
  }) as typeof main.scrollTo;
  return { main, state };
}

// jsdom lays nothing out: every transcript row is 64 px high, as the virtualizer measures it.
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockImplementation(function (this: HTMLElement) {
    return this.classList.contains("transcript-item") ? 64 : 0;
  });
});
afterEach(() => vi.restoreAllMocks());

/** Lets the virtualizer finish what it scheduled for the next frames. */
const settle = () => new Promise((r) => setTimeout(r, 100));

const rowOf = (el: HTMLElement) => el.closest(".transcript-item") as HTMLElement;

describe("a readable transcript", () => {
  it("renders the model's markdown and the result, with links as text and no raw HTML", async () => {
    const text = [
      "## Summary",
      "",
      "| Test | Result |",
      "| --- | --- |",
      "| unit | **passed** |",
      "",
      "```sh",
      "cargo test --all",
      "```",
      "",
      "See [the docs](https://example.com/docs) or https://example.com/raw.",
      "",
      '<img src="x" onerror="alert(1)"><b>bold?</b>',
    ].join("\n");
    openRun([message("user", [{ kind: "text", text: "Run **the** tests" }]), message("assistant", [{ kind: "text", text }])], {
      state: "succeeded",
      result: "All **green**.",
      finished_at: "2030-01-01T00:02:00Z",
    });
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(transcript.querySelector("table")).not.toBeNull());

    // (Element queries rather than roles: this page is large and role queries are slow in jsdom.)
    expect(transcript.querySelector("h2")).toHaveTextContent("Summary");
    expect([...transcript.querySelectorAll("th")].map((th) => th.textContent)).toEqual(["Test", "Result"]);
    expect(within(transcript).getByText("passed").tagName).toBe("STRONG");
    expect(within(transcript).getByText("cargo test --all").closest("pre")).toBeInTheDocument();
    // Links name their address and go nowhere; raw HTML is dropped.
    expect(transcript.querySelector("a")).toBeNull();
    expect(within(transcript).getByText("the docs").closest(".md-link")).toHaveTextContent("the docs (https://example.com/docs)");
    expect(within(transcript).getByText("https://example.com/raw")).toBeInTheDocument();
    expect(transcript.querySelector("img, b")).toBeNull();
    // The prompt is shown as typed, not as markdown.
    expect(transcript).toHaveTextContent("Run **the** tests");

    const outcome = screen.getByTestId("run-result");
    expect(within(outcome).getByText("green").tagName).toBe("STRONG");
  });

  it("renders streamed text's finished paragraphs as markdown and the growing tail as plain text", async () => {
    openRun([]);
    const transcript = await screen.findByTestId("transcript");
    const delta = (text: string): PartUpdate => ({
      run_id: "run_1",
      session_id: "ses_1",
      message_id: "msg_live",
      role: "assistant",
      part_index: 0,
      change: "delta",
      part_kind: "text",
      text,
    });
    await emitEngine({ kind: "session.part", payload: delta("First **done**.\n\nStill **writ") });
    await waitFor(() => expect(within(transcript).getByText("done").tagName).toBe("STRONG"));
    expect(transcript).toHaveTextContent("Still **writ");
  });

  it("colours command output and never shows escape codes", async () => {
    const output = "\x1b[31merror\x1b[0m: 1 failed, \x1b[1;32m3 ok\x1b[0m\x1b]0;title\x07\x1b[2K done\n\nexit code: 1";
    openRun([
      message("assistant", [call("tc_1", "bash", { command: "cargo test", description: "Run the tests" })]),
      message("tool", [result("tc_1", "bash", output, true)]),
    ]);
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(transcript).toHaveTextContent("$ cargo test"));
    expect(transcript).toHaveTextContent("Run the tests");
    expect(within(transcript).getByText("error")).toHaveClass("ansi-fg-red");
    expect(within(transcript).getByText("3 ok")).toHaveClass("ansi-fg-green", "ansi-bold");
    expect(transcript.textContent).not.toContain("\x1b");
    expect(transcript.textContent).not.toMatch(/\[31m|\[0m|title/);
    expect(transcript).toHaveTextContent("error: 1 failed, 3 ok done");
    // The exit code is said on the call, not left at the end of the output.
    expect(within(transcript).getByText("exit 1")).toBeInTheDocument();
    expect(transcript).not.toHaveTextContent("exit code: 1");
  });

  it("shows each call as what it does, and unknown tools as formatted JSON", async () => {
    openRun([
      message("assistant", [
        call("tc_1", "read", { path: "src/lib.rs", offset: 10, limit: 50 }),
        call("tc_2", "grep", { pattern: "fn main", include: "*.rs", case_insensitive: true }),
        call("tc_3", "edit", { path: "a.txt", old_string: "hello", new_string: "goodbye", replace_all: true }),
        call("tc_4", "fetch", { url: "https://example.com" }),
      ]),
      message("tool", [
        result("tc_1", "read", "    10\tfn main() {}\n"),
        result("tc_2", "grep", "src/main.rs:1:fn main() {}"),
        result("tc_3", "edit", "edited a.txt"),
        result("tc_4", "fetch", "ok"),
      ]),
    ]);
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(within(transcript).getAllByTestId("tool-call")).toHaveLength(4));
    const [read, grep, edit, other] = within(transcript).getAllByTestId("tool-call");

    const readLine = read.querySelector("summary") as HTMLElement;
    expect(readLine).toHaveTextContent("read src/lib.rs");
    expect(within(readLine).getByText("offset").nextSibling).toHaveTextContent("10");
    expect(within(readLine).getByText("limit").nextSibling).toHaveTextContent("50");
    expect(read).not.toHaveTextContent('"path"');

    expect(grep.querySelector("summary")).toHaveTextContent("grep fn main");
    expect(within(grep).getByText("include").nextSibling).toHaveTextContent("*.rs");
    expect(within(grep).getByText("case insensitive")).toBeInTheDocument();

    expect(edit.querySelector("summary")).toHaveTextContent("edit a.txt");
    expect(within(edit).getByText("replace all")).toBeInTheDocument();
    expect(within(edit).getByText("-hello")).toHaveClass("diff-del");
    expect(within(edit).getByText("+goodbye")).toHaveClass("diff-add");

    expect(other.querySelector("pre.args")?.textContent).toBe('{\n  "url": "https://example.com"\n}');
  });

  it("marks a call the rules or the user refused as denied, and a plain failure as failed", async () => {
    openRun([
      message("assistant", [
        call("tc_1", "bash", { command: "rm -rf build" }),
        call("tc_2", "edit", { path: "a.txt", old_string: "a", new_string: "b" }),
        call("tc_3", "read", { path: "missing.txt" }),
      ]),
      message("tool", [
        result("tc_1", "bash", "permission denied: `rm -rf build` is denied", true),
        result("tc_2", "edit", "the user rejected `edit a.txt` and said: not now", true),
        result("tc_3", "read", "`missing.txt` does not exist", true),
      ]),
    ]);
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(within(transcript).getAllByTestId("tool-call")).toHaveLength(3));
    const [bash, edit, read] = within(transcript).getAllByTestId("tool-call");
    expect(within(bash).getByTestId("tool-denied")).toHaveTextContent("Denied");
    expect(within(edit).getByTestId("tool-denied")).toHaveTextContent("Denied");
    expect(within(read).queryByTestId("tool-denied")).toBeNull();
    expect(read.querySelector("summary")).toHaveTextContent("failed");
    // Failed and denied calls open by themselves, so the reason shows.
    expect(bash).toHaveAttribute("open");
    expect(bash).toHaveTextContent("permission denied: `rm -rf build` is denied");
  });

  it("numbers each model call with its time and how far into the run it started", async () => {
    openRun(
      [
        message("user", [{ kind: "text", text: "Go" }], { created_at: "2030-01-01T00:00:01Z" }),
        message("assistant", [{ kind: "text", text: "One" }], { created_at: "2030-01-01T00:00:03Z" }),
        message("assistant", [{ kind: "text", text: "Two" }], { created_at: "2030-01-01T00:01:13Z" }),
      ],
      { started_at: "2030-01-01T00:00:01Z" },
    );
    await waitFor(() => expect(screen.getAllByTestId("step-head")).toHaveLength(2));
    const [first, second] = screen.getAllByTestId("step-head");
    expect(first).toHaveTextContent("Step 1");
    expect(first).toHaveTextContent("+2 s");
    expect(first.querySelector("time")).toHaveAttribute("datetime", "2030-01-01T00:00:03Z");
    expect(second).toHaveTextContent("Step 2");
    expect(second).toHaveTextContent("+1 min 12 s");
  });
});

/** 40 model calls, the 35th of which says "needle"; the 10th and 30th say "thread". */
function longRun(): Message[] {
  return Array.from({ length: 40 }, (_, i) => {
    const words = i === 34 ? "found the needle here" : i === 9 || i === 29 ? `pulled a thread ${i}` : `note ${i}`;
    return message("assistant", [{ kind: "text", text: words }]);
  });
}

describe("finding things in a long transcript", () => {
  it("search counts matches, scrolls the page to one not rendered yet, and Enter moves on", async () => {
    const { user } = openRun(longRun(), { state: "succeeded", finished_at: "2030-01-01T00:05:00Z" });
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(transcript).toHaveTextContent("note 0"));
    const { state } = scrollableMain();
    // Virtualized: the far rows are not in the page yet.
    expect(screen.queryByText("found the needle here")).toBeNull();

    const box = screen.getByRole("searchbox", { name: "Search the transcript" });
    await user.type(box, "needle");
    expect(screen.getByTestId("search-count")).toHaveTextContent("1 of 1");
    // The page (not a box inside it) scrolled, and the matching row is shown and marked.
    expect(state.top).toBeGreaterThan(0);
    const hit = await screen.findByText("found the needle here");
    expect(rowOf(hit)).toHaveClass("search-hit", "row-focus");

    await user.clear(box);
    await user.type(box, "THREAD");
    expect(screen.getByTestId("search-count")).toHaveTextContent("1 of 2");
    expect(rowOf(await screen.findByText("pulled a thread 9"))).toHaveClass("row-focus");
    await user.keyboard("{Enter}");
    expect(screen.getByTestId("search-count")).toHaveTextContent("2 of 2");
    expect(rowOf(await screen.findByText("pulled a thread 29"))).toHaveClass("row-focus");
    await user.keyboard("{Shift>}{Enter}{/Shift}");
    expect(screen.getByTestId("search-count")).toHaveTextContent("1 of 2");

    await user.clear(box);
    await user.type(box, "absent");
    expect(screen.getByTestId("search-count")).toHaveTextContent("No matches");
  });

  it("Ctrl+F and / focus the search box; / typed in a field stays text", async () => {
    const { user } = openRun(longRun());
    const box = await screen.findByRole("searchbox", { name: "Search the transcript" });
    await user.keyboard("/");
    expect(box).toHaveFocus();
    expect(box).toHaveValue("");
    await user.type(box, "a/b");
    expect(box).toHaveValue("a/b");
    box.blur();
    await user.keyboard("{Control>}f{/Control}");
    expect(box).toHaveFocus();
  });

  it("Jump to the error scrolls to the first error row", async () => {
    const transcript = longRun();
    transcript.splice(20, 0, message("assistant", [{ kind: "error", text: "provider unreachable" }]));
    const { user } = openRun(transcript, {
      state: "failed",
      error: { code: "provider_error", message: "provider unreachable" },
      finished_at: "2030-01-01T00:05:00Z",
    });
    await screen.findByText("note 0");
    const { state } = scrollableMain();
    expect(screen.queryByTestId("error-part")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Jump to the error" }));
    expect(state.top).toBeGreaterThan(0);
    const error = await screen.findByTestId("error-part");
    expect(error).toHaveTextContent("provider unreachable");
    expect(rowOf(error)).toHaveClass("row-focus");
  });

  it("offers no jump when nothing went wrong", async () => {
    openRun(longRun(), { state: "succeeded", finished_at: "2030-01-01T00:05:00Z" });
    await screen.findByText("note 0");
    expect(screen.queryByRole("button", { name: "Jump to the error" })).toBeNull();
  });
});

describe("a live run", () => {
  const common = { run_id: "run_1", session_id: "ses_1", message_id: "msg_live", role: "assistant" as const, part_index: 0 };

  it("shows the provider's retry with a countdown until the next delta arrives", async () => {
    openRun([]);
    await screen.findByTestId("transcript");
    const retryAt = new Date(Date.now() + 12_000).toISOString();
    await emitEngine({
      kind: "session.part",
      payload: { ...common, change: "retrying", attempt: 2, max_attempts: 4, reason: "rate limited", retry_at: retryAt },
    });
    const status = await screen.findByTestId("retry-status");
    expect(status).toHaveRole("status");
    expect(status.textContent).toMatch(/^Retrying \(2 of 4\): rate limited — in 1[12] s$/);

    await emitEngine({ kind: "session.part", payload: { ...common, change: "delta", part_kind: "text", text: "Back" } });
    await waitFor(() => expect(screen.queryByTestId("retry-status")).toBeNull());
    expect(screen.getByTestId("transcript")).toHaveTextContent("Back");
  });

  it("follows the end while streaming, and stops following once the reader scrolls up", async () => {
    openRun(longRun());
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(transcript).toHaveTextContent("note 0"));
    const { main, state } = scrollableMain();
    // The list is 5000 px tall and starts at the top of the page; the pane shows 768 px.
    main.getBoundingClientRect = () => ({ top: 0, bottom: 768 }) as DOMRect;
    transcript.getBoundingClientRect = () => ({ top: -state.top, bottom: 5000 - state.top }) as DOMRect;

    const more = (text: string, id: string) =>
      emitEngine({
        kind: "session.part",
        payload: { ...common, message_id: id, change: "complete", part: { kind: "text", text } },
      });
    await more("first new part", "msg_a");
    await waitFor(() => expect(state.top).toBe(100_000 - 768));
    await settle();
    const followed = state.calls.length;

    // The reader scrolls to the top: new parts no longer move the page.
    state.top = 0;
    fireEvent.scroll(main);
    const height = transcript.style.height;
    await more("second new part", "msg_b");
    await waitFor(() => expect(transcript.style.height).not.toBe(height));
    await settle();
    expect(state.calls.length).toBe(followed);
    expect(state.top).toBe(0);
  });
});
