import type { JsonValue, Part } from "../../api";
import { Diff, looksLikeDiff } from "../../components/Diff";
import type { Row } from "./rows";

type ToolCall = Extract<Part, { kind: "tool_call" }>;
type ToolResult = Extract<Part, { kind: "tool_result" }>;

export function RowView({ row }: { row: Row }) {
  if (row.type === "stream") {
    if (row.kind === "reasoning") {
      return (
        <details className="part reasoning">
          <summary>Thinking…</summary>
          <div className="prose">{row.text}</div>
        </details>
      );
    }
    return (
      <div className={`part text role-${row.role}`} aria-busy="true">
        <div className="prose">
          {row.text}
          <span className="cursor" aria-hidden="true" />
        </div>
      </div>
    );
  }
  const { part } = row;
  switch (part.kind) {
    case "text":
      return (
        <div className={`part text role-${row.role}`}>
          {row.role === "user" && <div className="part-label">Prompt</div>}
          <div className="prose">{part.text}</div>
        </div>
      );
    case "reasoning":
      return (
        <details className="part reasoning">
          <summary>Reasoning</summary>
          <div className="prose">{part.text}</div>
        </details>
      );
    case "tool_call":
      return <ToolCallView call={part} result={row.result} />;
    case "tool_result":
      return <ResultView result={part} />;
    case "error":
      return (
        <div className="part error" role="note">
          <strong>Error</strong> {part.text}
        </div>
      );
    case "notice":
      // For the owner, not a failure: the sandbox is off, or cannot be enforced here.
      return (
        <div className="part part-notice" role="note" data-testid="notice-part">
          <span className="part-notice-icon" aria-hidden="true">
            ⚠
          </span>
          <div>
            <strong>Notice</strong> <span className="prose">{part.text}</span>
          </div>
        </div>
      );
  }
}

function str(args: JsonValue, key: string): string | undefined {
  if (args && typeof args === "object" && !Array.isArray(args)) {
    const v = args[key];
    return typeof v === "string" ? v : undefined;
  }
  return undefined;
}

/** The one argument that says what a call does: its command, path or pattern. */
function subject(call: ToolCall): string {
  const a = call.arguments;
  return str(a, "command") ?? str(a, "path") ?? str(a, "pattern") ?? "";
}

/** What an edit or write changes, as -/+ lines built from its arguments. */
function changeOf(call: ToolCall): string | null {
  const a = call.arguments;
  const lines = (prefix: string, text: string) => text.split("\n").map((l) => prefix + l);
  if (call.tool_name === "edit") {
    const oldText = str(a, "old_string");
    const newText = str(a, "new_string");
    if (oldText === undefined || newText === undefined) return null;
    return [`--- ${str(a, "path") ?? ""}`, ...lines("-", oldText), ...lines("+", newText)].join("\n");
  }
  if (call.tool_name === "write") {
    const content = str(a, "content");
    if (content === undefined) return null;
    return [`+++ ${str(a, "path") ?? ""}`, ...lines("+", content)].join("\n");
  }
  return null;
}

function ToolCallView({ call, result }: { call: ToolCall; result?: ToolResult }) {
  const change = changeOf(call);
  const failed = result?.is_error;
  return (
    <details className={failed ? "part tool failed" : "part tool"} open={failed || undefined}>
      <summary>
        <span className="tool-name">{call.tool_name}</span> <code>{subject(call)}</code>
        {!result && <span className="muted"> · no result yet</span>}
        {failed && <span className="error-text"> · failed</span>}
      </summary>
      {change ? (
        <Diff text={change} label={`Change by ${call.tool_name}`} />
      ) : (
        <pre className="args">{JSON.stringify(call.arguments, null, 2)}</pre>
      )}
      {result && <ResultView result={result} />}
    </details>
  );
}

function ResultView({ result }: { result: ToolResult }) {
  return (
    <div className={result.is_error ? "tool-result failed" : "tool-result"}>
      <div className="part-label">{result.is_error ? "Error" : "Result"}</div>
      {looksLikeDiff(result.content) ? <Diff text={result.content} /> : <pre>{result.content}</pre>}
    </div>
  );
}
