import type { CSSProperties } from "react";
import type { Run } from "../../api";
import { StateChip } from "../../components/StateChip";
import { formatCost, formatDateTime, plainLine, runDuration, runReason, STATE_LABELS } from "../../format";
import { useNow } from "../../hooks";
import { href } from "../../routing";
import { isActive } from "../../stores/runs";
import { TRIGGER_LABELS } from "./filters";

/** Where a virtual row sits and how it is measured (none for a plain row). */
export interface RowPlace {
  style?: CSSProperties;
  "data-index"?: number;
  "aria-setsize"?: number;
  "aria-posinset"?: number;
}

const HEADING = /^\s*#{1,6}\s/;

/**
 * The first line of what the run said: its result, or its error. A Markdown heading
 * ("## Summary") says little at a glance: the first line under it is taken when there is one.
 */
export function firstLine(run: Run): string {
  const text = run.result ?? run.error?.message ?? "";
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const line = lines.find((l) => !HEADING.test(l)) ?? lines[0] ?? "";
  return plainLine(line.replace(/^\s*(#{1,6}\s+|[-*+]\s+|>\s*)/, ""));
}

export function RunRow({
  run,
  depth = 0,
  title,
  selected,
  tabbable,
  place,
  rowRef,
  onOpen,
  onSelect,
}: {
  run: Run;
  /** Follow-ups deep under the run its thread starts from, in this list; 0 for a first run. */
  depth?: number;
  /** The automation's title; null in one automation's list, where it goes without saying. */
  title: string | null;
  selected: boolean;
  /** The row Tab lands on (the selected one, or the first). */
  tabbable: boolean;
  place?: RowPlace;
  rowRef: (el: HTMLElement | null) => void;
  onOpen: () => void;
  onSelect: () => void;
}) {
  const now = useNow(isActive(run.state) ? 1000 : 60_000);
  const when = formatDateTime(run.queued_at);
  // A follow-up says what was asked of it until it has a result of its own.
  const line = firstLine(run) || (run.follow_up ? `↳ ${plainLine(run.follow_up.message)}` : "");
  const reason = runReason(run);
  // Under its parent the row is indented and joined to it; alone, it links to the parent.
  const threadStyle = depth > 0 ? ({ "--thread-depth": Math.min(depth, 4) } as CSSProperties) : undefined;
  return (
    <li
      {...place}
      style={{ ...place?.style, ...threadStyle }}
      ref={rowRef}
      className={`row run-row${selected ? " selected" : ""}${title === null ? " run-row-one" : ""}${depth > 0 ? " run-row-thread" : ""}`}
      data-testid="run-row"
      data-run-id={run.id}
      data-thread-depth={depth > 0 ? depth : undefined}
      data-selected={selected ? "true" : undefined}
      aria-current={selected ? "true" : undefined}
      tabIndex={tabbable ? 0 : -1}
      aria-label={`${title ? `${title}: ` : ""}${run.follow_up ? "follow-up" : "run"} queued ${when}, ${STATE_LABELS[run.state]}`}
      onClick={onOpen}
      onFocus={onSelect}
    >
      <span className="run-cell run-state-cell" title={reason ?? undefined}>
        {depth > 0 && (
          <span className="thread-mark" aria-hidden="true">
            ↳
          </span>
        )}
        <StateChip state={run.state} reason={reason} testId="run-state" />
      </span>
      {title !== null && (
        <span className="run-cell run-title" title={title}>
          {title}
        </span>
      )}
      <span className="run-cell run-when">{when}</span>
      {/* Columns on a wide list; one line of facts on a narrow one. */}
      <span className="run-meta">
        <span
          className="run-cell run-trigger"
          title={run.follow_up ? `Follows up an earlier run: ${run.follow_up.message}` : undefined}
        >
          {run.follow_up && depth === 0 ? (
            // Its parent is not in the list: a link to it instead.
            <a
              href={href({ view: "run", runId: run.follow_up.of })}
              data-testid="run-follow-up-of"
              onClick={(e) => e.stopPropagation()}
            >
              Follow-up
            </a>
          ) : run.follow_up ? (
            "Follow-up"
          ) : (
            TRIGGER_LABELS[run.trigger]
          )}
        </span>
        <span className="run-cell run-duration">{runDuration(run, now)}</span>
        <span className="run-cell run-cost">{formatCost(run.cost_usd)}</span>
        <span className="run-cell run-steps">
          {run.steps}
          <span className="run-unit">{run.steps === 1 ? " step" : " steps"}</span>
        </span>
      </span>
      <span className={`run-cell run-line${run.error ? " error-text" : ""}`} title={line || undefined}>
        {line}
      </span>
    </li>
  );
}
