import { memo } from "react";
import { Markdown, StreamingMarkdown } from "../../components/Markdown";
import { formatDuration } from "../../format";
import type { Row } from "./rows";
import { ResultView, ToolCallView } from "./ToolCall";

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

interface Props {
  row: Row;
  /** When the run started, for each step's offset. */
  runStart: string | null;
  /** Opens a collapsed call or reasoning (the current search match). */
  open?: boolean;
}

/** One transcript row. Memoized: rows of parts already complete never change. */
export const RowView = memo(RowBody, (a, b) => a.runStart === b.runStart && a.open === b.open && sameRow(a.row, b.row));

function sameRow(a: Row, b: Row): boolean {
  if (a === b) return true;
  if (a.type === "part" && b.type === "part") return a.part === b.part && a.result === b.result && a.role === b.role;
  if (a.type === "stream" && b.type === "stream") return a.text === b.text && a.kind === b.kind;
  if (a.type === "step" && b.type === "step") return a.step === b.step && a.at === b.at;
  return false;
}

function RowBody({ row, runStart, open }: Props) {
  if (row.type === "step") return <StepHead step={row.step} at={row.at} runStart={runStart} />;
  if (row.type === "stream") {
    if (row.kind === "reasoning") {
      return (
        <details className="part reasoning" open={open || undefined}>
          <summary>Thinking…</summary>
          <div className="prose">{row.text}</div>
        </details>
      );
    }
    return (
      <div className={`part text role-${row.role}`} aria-busy="true">
        <StreamingMarkdown text={row.text} cursor={<span className="cursor" aria-hidden="true" />} />
      </div>
    );
  }
  const { part } = row;
  switch (part.kind) {
    case "text":
      // The prompt is what a person typed: shown as typed. The model writes markdown.
      return row.role === "assistant" ? (
        <div className="part text role-assistant">
          <Markdown text={part.text} />
        </div>
      ) : (
        <div className={`part text role-${row.role}`}>
          {row.role === "user" && <div className="part-label">Prompt</div>}
          <div className="prose">{part.text}</div>
        </div>
      );
    case "reasoning":
      return (
        <details className="part reasoning" open={open || undefined}>
          <summary>Reasoning</summary>
          <div className="prose">{part.text}</div>
        </details>
      );
    case "tool_call":
      return <ToolCallView call={part} result={row.result} open={open} />;
    case "tool_result":
      return <ResultView result={part} />;
    case "error":
      return (
        <div className="part error" role="note" data-testid="error-part">
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

/** "Step 3 · 14:02:31 · +1 min 12 s": one model call, when it started, how far into the run. */
function StepHead({ step, at, runStart }: { step: number; at: string | null; runStart: string | null }) {
  const offset = at && runStart ? Math.max(0, Date.parse(at) - Date.parse(runStart)) : null;
  return (
    <div className="step-head" data-testid="step-head">
      <span className="step-number">Step {step}</span>
      {at && (
        <>
          <time dateTime={at}>{clock.format(new Date(at))}</time>
          {offset !== null && !Number.isNaN(offset) && (
            <span className="step-offset" title="Since the run started">
              +{formatDuration(offset)}
            </span>
          )}
        </>
      )}
    </div>
  );
}
