import type { Part, Role } from "../../api";
import type { TranscriptState } from "../../stores/transcript";

type ToolResult = Extract<Part, { kind: "tool_result" }>;

/** One line of the transcript list: a stored part (a tool call carries its result) or a stream. */
export type Row =
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
  for (const m of state.messages) {
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
