import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { PartUpdate } from "../src/bindings";
import { applyPartUpdate, emptyTranscript, mergeLoaded } from "../src/stores/transcript";
import { emitEngine, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const base = { run_id: "run_1", session_id: "ses_1", message_id: "msg_2", role: "assistant" as const };
const delta = (part_kind: string, text: string, part_index = 0): PartUpdate => ({
  ...base,
  change: "delta",
  part_kind,
  text,
  part_index,
});

describe("transcript", () => {
  it("accumulates streamed text, then replaces it with the complete part", async () => {
    mockBackend({
      get_run: () => ({
        run: run(),
        transcript: [
          {
            id: "msg_1",
            session_id: "ses_1",
            run_id: "run_1",
            seq: 1,
            role: "user",
            parts: [{ kind: "text", text: "Fix the build" }],
            created_at: "2030-01-01T00:00:00Z",
          },
        ],
      }),
    });
    renderAt("#/runs/run_1");
    const transcript = await screen.findByTestId("transcript");
    await waitFor(() => expect(transcript).toHaveTextContent("Fix the build"));

    await emitEngine({ kind: "session.part", payload: delta("text", "The build ") });
    await emitEngine({ kind: "session.part", payload: delta("text", "is fixed") });
    // Updates reach the screen once per frame.
    await waitFor(() => expect(transcript).toHaveTextContent("The build is fixed"));

    await emitEngine({
      kind: "session.part",
      payload: { ...base, change: "complete", part_index: 0, part: { kind: "text", text: "The build is fixed." } },
    });
    await waitFor(() => expect(transcript).toHaveTextContent("The build is fixed."));
    expect(transcript.textContent?.match(/The build is fixed/g)).toHaveLength(1);
  });

  it("matches deltas by message and kind when reasoning and text stream together", () => {
    let s = emptyTranscript;
    // Both streams name the same next index; only the complete parts say where they landed.
    s = applyPartUpdate(s, delta("reasoning", "Think"));
    s = applyPartUpdate(s, delta("text", "Answ"));
    s = applyPartUpdate(s, delta("reasoning", "ing"));
    s = applyPartUpdate(s, delta("text", "er"));
    expect(s.streaming.map((p) => [p.kind, p.text])).toEqual([
      ["reasoning", "Thinking"],
      ["text", "Answer"],
    ]);

    s = applyPartUpdate(s, { ...base, change: "complete", part_index: 0, part: { kind: "reasoning", text: "Thinking" } });
    expect(s.streaming.map((p) => p.kind)).toEqual(["text"]);
    s = applyPartUpdate(s, { ...base, change: "complete", part_index: 1, part: { kind: "text", text: "Answer" } });
    expect(s.streaming).toEqual([]);
    expect(s.messages[0].parts).toEqual([
      { kind: "reasoning", text: "Thinking" },
      { kind: "text", text: "Answer" },
    ]);

    // A late delta for a part already complete does not start a new stream.
    expect(applyPartUpdate(s, delta("text", "er"))).toBe(s);
  });

  it("keeps a provider retry until the next delta or part, across a reload", () => {
    const retrying: PartUpdate = {
      ...base,
      part_index: 0,
      change: "retrying",
      attempt: 2,
      max_attempts: 4,
      reason: "rate limited",
      retry_at: "2030-01-01T00:00:12Z",
    };
    let s = applyPartUpdate(emptyTranscript, retrying);
    expect(s.retry).toEqual({ attempt: 2, maxAttempts: 4, reason: "rate limited", retryAt: "2030-01-01T00:00:12Z" });
    // A retry starts no message: no empty step shows for it.
    expect(s.messages).toEqual([]);
    s = mergeLoaded(s, []);
    expect(s.retry).not.toBeNull();
    expect(applyPartUpdate(s, delta("text", "Hi")).retry).toBeNull();
    const done = applyPartUpdate(s, { ...base, change: "complete", part_index: 0, part: { kind: "text", text: "Hi" } });
    expect(done.retry).toBeNull();
  });

  it("shows a tool call with its result, and an edit as a diff", async () => {
    mockBackend({ get_run: () => ({ run: run(), transcript: [] }) });
    renderAt("#/runs/run_1");
    const transcript = await screen.findByTestId("transcript");
    await emitEngine({
      kind: "session.part",
      payload: {
        ...base,
        change: "complete",
        part_index: 0,
        part: {
          kind: "tool_call",
          tool_call_id: "tc_1",
          tool_name: "edit",
          arguments: { path: "a.txt", old_string: "hello", new_string: "goodbye" },
        },
      },
    });
    await emitEngine({
      kind: "session.part",
      payload: {
        ...base,
        message_id: "msg_3",
        role: "tool",
        change: "complete",
        part_index: 0,
        part: { kind: "tool_result", tool_call_id: "tc_1", tool_name: "edit", content: "edited a.txt", is_error: false },
      },
    });
    await waitFor(() => expect(transcript).toHaveTextContent("edited a.txt"));
    expect(transcript).toHaveTextContent("edit a.txt");
    expect(screen.getByText("-hello")).toHaveClass("diff-del");
    expect(screen.getByText("+goodbye")).toHaveClass("diff-add");
    expect(transcript).toHaveTextContent("edited a.txt");
  });

  it("shows a notice as a note for the owner, not as an error", async () => {
    const text = "The sandbox is off: processes run with your full access.";
    mockBackend({
      get_run: () => ({
        run: run(),
        transcript: [
          {
            id: "msg_1",
            session_id: "ses_1",
            run_id: "run_1",
            seq: 1,
            role: "assistant",
            parts: [{ kind: "notice", text }, { kind: "error", text: "provider unreachable" }],
            created_at: "2030-01-01T00:00:00Z",
          },
        ],
      }),
    });
    renderAt("#/runs/run_1");
    const notice = await screen.findByTestId("notice-part");
    expect(notice).toHaveRole("note");
    expect(notice).toHaveTextContent(`Notice ${text}`);
    expect(notice).toHaveClass("part-notice");
    expect(notice).not.toHaveClass("error");
    // An error part next to it still looks like one.
    expect(screen.getByText("provider unreachable").closest(".part")).toHaveClass("error");
  });

  it("ends with the run's result once it succeeded", async () => {
    mockBackend({ get_run: () => ({ run: run(), transcript: [] }) });
    renderAt("#/runs/run_1");
    await screen.findByTestId("transcript");
    expect(screen.getByTestId("cancel-run")).toBeInTheDocument();
    await emitEngine({
      kind: "run.updated",
      payload: run({ revision: 2, state: "succeeded", result: "All green.", finished_at: "2030-01-01T00:02:00Z" }),
    });
    expect(screen.getByTestId("run-result")).toHaveTextContent("All green.");
    expect(screen.queryByTestId("cancel-run")).not.toBeInTheDocument();
  });
});
