import type { ReactNode } from "react";
import type { JsonValue } from "../../api";
import { AnsiText } from "../../components/AnsiText";
import { Diff, looksLikeDiff } from "../../components/Diff";
import { formatDuration } from "../../format";
import { words } from "../../messages";
import { isDenied, type ToolCall, type ToolResult } from "./rows";

type Args = Partial<Record<string, JsonValue>>;

function argsOf(call: ToolCall): Args {
  const a = call.arguments;
  return a && typeof a === "object" && !Array.isArray(a) ? a : {};
}

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  return typeof v === "string" ? v : undefined;
}

/** How each known tool reads: the argument that says what it does, and the ones shown in full below. */
const SHAPES: Record<string, { subject: string; body: string[] }> = {
  bash: { subject: "command", body: ["command", "description"] },
  read: { subject: "path", body: [] },
  list: { subject: "path", body: [] },
  glob: { subject: "pattern", body: [] },
  grep: { subject: "pattern", body: [] },
  write: { subject: "path", body: ["content"] },
  edit: { subject: "path", body: ["old_string", "new_string"] },
  question: { subject: "", body: ["questions"] },
};

/** A tool call as what it does (`$ cargo test`, `edit src/lib.rs`), with its result inside. */
export function ToolCallView({ call, result, open }: { call: ToolCall; result?: ToolResult; open?: boolean }) {
  const failed = !!result?.is_error;
  const denied = isDenied(result);
  const shape = SHAPES[call.tool_name];
  const args = argsOf(call);
  const exit = call.tool_name === "bash" && result ? exitCode(result.content) : null;
  return (
    <details
      className={`part tool${failed ? " failed" : ""}${denied ? " denied" : ""}`}
      open={open || failed || undefined}
      data-testid="tool-call"
    >
      <summary>
        {shape ? <Subject call={call} args={args} /> : <span className="tool-name">{call.tool_name}</span>}
        {shape && <ArgList args={args} skip={[shape.subject, ...shape.body]} />}
        {denied ? (
          <span className="chip chip-deny tool-chip" data-testid="tool-denied">
            Denied
          </span>
        ) : failed ? (
          <span className="tool-chip error-text">{exit ? `exit ${exit.code}` : "failed"}</span>
        ) : exit ? (
          <span className="tool-chip muted">exit {exit.code}</span>
        ) : null}
        {!result && <span className="muted tool-chip">no result yet</span>}
      </summary>
      {shape ? <Body call={call} args={args} /> : <pre className="args">{JSON.stringify(call.arguments, null, 2)}</pre>}
      {result && <ResultView result={result} text={exit ? exit.output : result.content} output={!!exit} />}
    </details>
  );
}

function Subject({ call, args }: { call: ToolCall; args: Args }) {
  if (call.tool_name === "bash") {
    const command = str(args, "command") ?? "";
    const [first, ...more] = command.split("\n");
    const description = str(args, "description");
    return (
      <>
        <code className="tool-command">
          $ {first}
          {more.length > 0 && " …"}
        </code>
        {description && <span className="tool-description"> {description}</span>}
      </>
    );
  }
  if (call.tool_name === "question") {
    const questions = questionsOf(args);
    return (
      <>
        <span className="tool-name">question</span> {questions[0]?.question ?? ""}
        {questions.length > 1 && <span className="muted"> (+{questions.length - 1} more)</span>}
      </>
    );
  }
  const subject = str(args, SHAPES[call.tool_name].subject) ?? (call.tool_name === "list" ? "." : "");
  return (
    <>
      <span className="tool-name">{call.tool_name}</span> <code>{subject}</code>
    </>
  );
}

/** The remaining arguments as a small key/value list: `offset 10 · limit 50`. */
function ArgList({ args, skip }: { args: Args; skip: string[] }) {
  const entries = Object.entries(args).filter(([k, v]) => !skip.includes(k) && v !== null && v !== false);
  if (entries.length === 0) return null;
  return (
    <dl className="tool-args">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k === "timeout_ms" ? "timeout" : words(k)}</dt>
          {v !== true && <dd>{argValue(k, v)}</dd>}
        </div>
      ))}
    </dl>
  );
}

function argValue(key: string, v: JsonValue | undefined): ReactNode {
  if (key === "timeout_ms" && typeof v === "number") return formatDuration(v);
  if (typeof v === "string") return <code>{v}</code>;
  if (typeof v === "number") return String(v);
  return <code>{JSON.stringify(v)}</code>;
}

function Body({ call, args }: { call: ToolCall; args: Args }) {
  switch (call.tool_name) {
    case "bash": {
      const command = str(args, "command") ?? "";
      // One line is in the summary already; a script shows in full.
      return command.includes("\n") ? <pre className="args">{command}</pre> : null;
    }
    case "edit": {
      const oldText = str(args, "old_string");
      const newText = str(args, "new_string");
      if (oldText === undefined || newText === undefined) return null;
      const change = [`--- ${str(args, "path") ?? ""}`, ...lines("-", oldText), ...lines("+", newText)].join("\n");
      return <Diff text={change} label="Change by edit" />;
    }
    case "write": {
      const content = str(args, "content");
      if (content === undefined) return null;
      return <Diff text={[`+++ ${str(args, "path") ?? ""}`, ...lines("+", content)].join("\n")} label="Change by write" />;
    }
    case "question":
      return (
        <ol className="tool-questions">
          {questionsOf(args).map((q, i) => (
            <li key={i}>
              {q.question}
              {q.choices.length > 0 && <span className="muted"> ({q.choices.join(" / ")})</span>}
            </li>
          ))}
        </ol>
      );
    default:
      return null;
  }
}

function lines(prefix: string, text: string): string[] {
  return text.split("\n").map((l) => prefix + l);
}

function questionsOf(args: Args): { question: string; choices: string[] }[] {
  const list = Array.isArray(args.questions) ? args.questions : [];
  return list.flatMap((q) => {
    if (!q || typeof q !== "object" || Array.isArray(q) || typeof q.question !== "string") return [];
    const choices = Array.isArray(q.choices) ? q.choices.filter((c): c is string => typeof c === "string") : [];
    return [{ question: q.question, choices }];
  });
}

/** The bash tool ends its output with `exit code: N` (crates/core/src/agent/tools/bash.rs). */
function exitCode(content: string): { code: number; output: string } | null {
  const m = /(?:^|\n\n)exit code: (\d+)\s*$/.exec(content);
  if (!m) return null;
  return { code: Number(m[1]), output: content.slice(0, m.index) };
}

/** A tool's result; `output` is a command's own output, coloured by the command, not as an error. */
export function ResultView({ result, text = result.content, output = false }: { result: ToolResult; text?: string; output?: boolean }) {
  const label = output ? "Output" : result.is_error ? "Error" : "Result";
  return (
    <div className={result.is_error ? "tool-result failed" : "tool-result"}>
      <div className="part-label">{label}</div>
      {looksLikeDiff(text) ? (
        <Diff text={text} />
      ) : text ? (
        <AnsiText text={text} className={output ? "command-output" : undefined} />
      ) : (
        <p className="muted">No output.</p>
      )}
    </div>
  );
}
