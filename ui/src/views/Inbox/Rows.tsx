import { useState, type CSSProperties } from "react";
import { errorText, type Run } from "../../api";
import { StateChip } from "../../components/StateChip";
import { plainLine, relativeTime, runReason } from "../../format";
import type { RowProps } from "../../keyboard/useListKeys";
import { href, navigate } from "../../routing";
import { inboxStore, type MissedFires } from "../../stores/inbox";
import { missedText } from "./lines";
import { Reply } from "./Reply";

function needs(run: Run): string {
  const b = run.state === "awaiting_input" ? run.blocker : null;
  if (b?.kind === "permission") return `wants to use ${b.tool}: ${b.summary}`;
  // The row's form shows the questions themselves.
  if (b?.kind === "question") {
    return b.questions.length === 1 ? "asks you a question" : `asks you ${b.questions.length} questions`;
  }
  if (run.state === "succeeded") return plainLine(run.result?.split("\n").find((l) => l.trim() && !/^\s*#/.test(l)) ?? "Finished");
  if (run.state === "failed") return run.error?.message ?? "Failed";
  return runReason(run) ?? "";
}

/** What the list puts on a row's element: the keyboard wiring, and a place when virtual. */
export type RowAttrs = RowProps & {
  style?: CSSProperties;
  "data-index"?: number;
  "aria-setsize"?: number;
  "aria-posinset"?: number;
};

/** Props every inbox row takes: its element's attributes and what it says. */
interface RowBase {
  keys: RowAttrs;
  onSelect: () => void;
  title: string;
  now: number;
}

/** A run's line; a waiting run's carries the ways to answer it. */
export function RunRow({ run, unread, keys, onSelect, title, now }: RowBase & { run: Run; unread: boolean }) {
  const waiting = run.state === "awaiting_input";
  const classes = ["row", "inbox-item", unread && "unread", waiting && "inbox-waiting"].filter(Boolean).join(" ");
  return (
    <li
      {...keys}
      className={classes}
      data-testid="inbox-item"
      data-run={run.id}
      onFocus={onSelect}
      // A click anywhere on the line but its own controls opens the run.
      onClick={(e) => {
        if (!(e.target as HTMLElement).closest("button, a, input, textarea, select, label"))
          navigate({ view: "run", runId: run.id });
      }}
    >
      <span className="unread-dot" role={unread ? "img" : undefined} aria-label={unread ? "Unread" : undefined} />
      <div className="inbox-body">
        <button type="button" className="row-button" onClick={() => navigate({ view: "run", runId: run.id })}>
          <span className="row-main">
            <span className="row-title">{title}</span>
            <span className="row-sub">{needs(run)}</span>
          </span>
          <StateChip state={run.state} />
          <span className="muted">{relativeTime(run.finished_at ?? run.queued_at, now)}</span>
        </button>
        {waiting && run.blocker && <Reply run={run} blocker={run.blocker} />}
      </div>
    </li>
  );
}

/** One automation's missed fires, in one line, with a way to dismiss them. */
export function MissedRow({ line, keys, onSelect, title }: RowBase & { line: MissedFires }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const dismiss = () => {
    setPending(true);
    setError(null);
    inboxStore.dismissMissed(line.automation_id).catch((e: unknown) => {
      setError(errorText(e));
      setPending(false);
    });
  };
  return (
    <li {...keys} className="row inbox-item unread inbox-missed" data-testid="inbox-missed" onFocus={onSelect}>
      <span className="unread-dot" role="img" aria-label="Unread" />
      <div className="inbox-body inbox-missed-body">
        <p className="inbox-missed-text">
          <a href={href({ view: "runs", automationId: line.automation_id })} className="row-title">
            {title}
          </a>
          {": "}
          {missedText(line)}
          {line.ran_latest && (
            <>
              {"; "}
              <a href={href({ view: "run", runId: line.ran_latest })} data-testid="missed-ran-latest">
                ran the latest
              </a>
            </>
          )}
        </p>
        <button
          type="button"
          className="inbox-dismiss"
          disabled={pending}
          aria-label={`Dismiss the missed fires of ${title}`}
          onClick={dismiss}
        >
          Dismiss
        </button>
        {error && (
          <p className="error-text inbox-reply-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}
