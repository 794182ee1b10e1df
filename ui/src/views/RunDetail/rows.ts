import type { Part, Role } from "../../api";
import { stripAnsi } from "../../components/AnsiText";
import type { TranscriptState } from "../../stores/transcript";

export type ToolCall = Extract<Part, { kind: "tool_call" }>;
export type ToolResult = Extract<Part, { kind: "tool_result" }>;

/**
 * One line of the transcript list: the heading of a model call (a step), a stored part (a
 * tool call carries its result) or a stream.
 */
export type Row =
  | { key: string; type: "step"; step: number; at: string | null }
  | { key: string; type: "part"; role: Role; part: Part; result?: ToolResult }
  | { key: string; type: "stream"; role: Role; kind: string; text: string };

export function buildRows(state: TranscriptState): Row[] {
  const results = new Map<string, ToolResult>();
  const calls = new Set<string>();
  for (const m of state.messages) {
    for (const p of m.parts) {
      if (p?.kind === "tool_result") results.set(p.tool_call_id, p);
      if (p?.kind === "tool_call") calls.add(p.tool_call_id);
    }
  }
  const rows: Row[] = [];
  let step = 0;
  for (const m of state.messages) {
    // Each assistant message is one model call.
    if (m.role === "assistant") {
      step += 1;
      rows.push({ key: `${m.id}:step`, type: "step", step, at: m.createdAt });
    }
    m.parts.forEach((part, i) => {
      if (!part) return;
      // A result shows inside its call; only orphans get a row of their own.
      if (part.kind === "tool_result" && calls.has(part.tool_call_id)) return;
      const result = part.kind === "tool_call" ? results.get(part.tool_call_id) : undefined;
      rows.push({ key: `${m.id}:${i}`, type: "part", role: m.role, part, result });
    });
    // Reasoning streams before text when both are in flight.
    const streams = state.streaming
      .filter((s) => s.messageId === m.id)
      .sort((a, b) => (a.kind === "reasoning" ? -1 : 0) - (b.kind === "reasoning" ? -1 : 0));
    for (const s of streams) {
      rows.push({ key: `${m.id}:~${s.kind}:${s.fromIndex}`, type: "stream", role: s.role, kind: s.kind, text: s.text });
    }
  }
  return rows;
}

// The engine's words for a call that never ran (crates/core/src/agent/turn.rs `guarded`,
// and the bash tool when the sandbox cannot contain it).
const DENIED = /^(permission denied: |the user rejected `|shell commands are refused: )/;

/** Whether a tool result says the call was refused by a rule, by the user or by the sandbox. */
export function isDenied(result: ToolResult | undefined): boolean {
  return !!result?.is_error && DENIED.test(result.content);
}

/** Whether the run ran a shell command: a `bash` call that was not refused. */
export function ranShellCommand(state: TranscriptState): boolean {
  const refused = new Set<string>();
  const calls: string[] = [];
  for (const m of state.messages) {
    for (const p of m.parts) {
      if (p?.kind === "tool_call" && p.tool_name === "bash") calls.push(p.tool_call_id);
      if (p?.kind === "tool_result" && isDenied(p)) refused.add(p.tool_call_id);
    }
  }
  return calls.some((id) => !refused.has(id));
}

/** Whether the row shows something that went wrong: an error part or a failed call. */
export function isErrorRow(row: Row): boolean {
  if (row.type !== "part") return false;
  if (row.part.kind === "error") return true;
  if (row.part.kind === "tool_call") return !!row.result?.is_error;
  return row.part.kind === "tool_result" && row.part.is_error;
}

/** The row to show for "Jump to the error": the first error part, else the first failed call. */
export function firstErrorRow(rows: readonly Row[]): number {
  const part = rows.findIndex((r) => r.type === "part" && r.part.kind === "error");
  return part >= 0 ? part : rows.findIndex(isErrorRow);
}

const texts = new WeakMap<object, string>();

/** What search looks through in a row, lower-cased: its text, its call and its result. */
export function searchText(row: Row): string {
  if (row.type === "step") return `step ${row.step}`;
  if (row.type === "stream") return row.text.toLowerCase();
  // A result belongs to one call, so it keys the call's text once it has arrived.
  const key = row.result ?? row.part;
  let text = texts.get(key);
  if (text === undefined) {
    text = partText(row.part, row.result).toLowerCase();
    texts.set(key, text);
  }
  return text;
}

function partText(part: Part, result: ToolResult | undefined): string {
  switch (part.kind) {
    case "tool_call": {
      const args = part.arguments;
      const values =
        args && typeof args === "object" && !Array.isArray(args)
          ? Object.values(args).map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
          : [JSON.stringify(args)];
      return [part.tool_name, ...values, result ? stripAnsi(result.content) : ""].join("\n");
    }
    case "tool_result":
      return stripAnsi(part.content);
    default:
      return part.text;
  }
}
