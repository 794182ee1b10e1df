import { useState, type CSSProperties, type ReactNode } from "react";
import * as api from "../../api";
import type { Automation } from "../../api";
import { runNowAndOpen } from "../../actions";
import { SandboxBadges } from "../../components/SandboxBadges";
import { StateChip } from "../../components/StateChip";
import { relativeTime, runReason, STATE_LABELS } from "../../format";
import { useNow, useSchedulePreview } from "../../hooks";
import type { RowProps } from "../../keyboard/useListKeys";
import { href, navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { notices } from "../../stores/notices";
import { permissionSummary, placementText, shortPath, type History } from "./glance";
import { HistoryStrip } from "./HistoryStrip";
import { PausedBanner } from "./PausedBanner";
import "./automations.css";

/** Where a virtual row sits (none for a plain row). */
export interface RowPlace {
  style: CSSProperties;
  "data-index": number;
  /** The list's last row: it has no line under it (the list's border closes it). */
  "data-last"?: "true";
  "aria-setsize": number;
  "aria-posinset": number;
}

/** Failed runs in a row, as the engine derives it. */
export function failureStreak(a: Automation): number {
  return a.failure_streak;
}

export function AutomationRow({
  automation: a,
  history,
  selected,
  onSelect,
  rowProps,
  place,
  measure,
}: {
  automation: Automation;
  history: History;
  selected: boolean;
  onSelect: () => void;
  /** The list's keyboard selection (useListKeys). */
  rowProps?: RowProps;
  place?: RowPlace;
  /** The virtualizer's measuring ref. */
  measure?: (el: HTMLElement | null) => void;
}) {
  const [pausing, setPausing] = useState(false);
  const streak = failureStreak(a);
  const now = useNow(60_000);
  const last = history.last;

  const togglePaused = async () => {
    setPausing(true);
    try {
      automations.upsert(await api.setPaused(a.id, !a.paused));
    } catch (e) {
      notices.error("Could not change the schedule", e);
    } finally {
      setPausing(false);
    }
  };

  return (
    <li
      {...rowProps}
      {...place}
      ref={(el) => {
        rowProps?.ref(el);
        measure?.(el);
      }}
      className={selected ? "row automation-row selected" : "row automation-row"}
      data-testid="automation-row"
      data-automation-id={a.id}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
      onFocus={onSelect}
    >
      <div className="row-main">
        <a className="row-title" href={href({ view: "runs", automationId: a.id })}>
          {a.title}
        </a>
        <ScheduleLine automation={a} />
        <div className="row-facts" data-testid="automation-facts">
          <span className="row-path" title={a.workspace}>
            {shortPath(a.workspace)}
          </span>
          {" · "}
          <span>{placementText(a.placement)}</span>
          {" · "}
          <span className="row-model" title={`${a.model.provider_id} / ${a.model.model_id}`}>
            {a.model.model_id}
          </span>
        </div>
        <div className="row-permissions" data-testid="permission-summary">
          {withCode(permissionSummary(a))}
        </div>
      </div>
      <div className="row-glance">
        <div className="row-status">
          {last ? (
            <a href={href({ view: "run", runId: last.run_id })} aria-label={`Last run: ${STATE_LABELS[last.state]}`}>
              <StateChip state={last.state} reason={last.run ? runReason(last.run) : null} testId="last-run-state" />
            </a>
          ) : (
            <span className="muted">No runs yet</span>
          )}
          {last?.at && <span className="muted small">{relativeTime(last.at, now)}</span>}
          <SandboxBadges automation={a} />
          {streak > 0 && a.paused_reason !== "failure_streak" && (
            <span className="badge badge-warn" title="Failed runs in a row">
              {streak} failed in a row
            </span>
          )}
        </div>
        <HistoryStrip marks={history.marks} />
      </div>
      {/* Paused only stops the schedule, so a manual automation has nothing to switch. */}
      {a.trigger.kind === "manual" ? (
        <span className="switch" />
      ) : (
        <label className="switch" title={a.paused ? "The schedule is paused" : "The schedule is on"}>
          <input
            type="checkbox"
            role="switch"
            checked={!a.paused}
            disabled={pausing}
            aria-label={`Schedule of ${a.title} on`}
            onChange={() => void togglePaused()}
          />
          <span>{a.paused ? "Paused" : "On"}</span>
        </label>
      )}
      <div className="row-actions">
        <button type="button" onClick={() => navigate({ view: "edit", id: a.id })} aria-label={`Edit ${a.title}`}>
          Edit
        </button>
        <button
          type="button"
          className="primary"
          data-testid="run-now"
          aria-label={`Run ${a.title} now`}
          onClick={() => void runNowAndOpen(a.id)}
        >
          Run now
        </button>
      </div>
      <PausedBanner automation={a} className="row-banner" />
    </li>
  );
}

/** "runs `cargo test`": the backticked parts as code. */
export function withCode(text: string): ReactNode[] {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

function ScheduleLine({ automation: a }: { automation: Automation }) {
  const now = useNow(60_000);
  const recurringOrOnce = a.trigger.kind !== "manual";
  const preview = useSchedulePreview(recurringOrOnce ? a.trigger : null, a.stop, 1);
  if (!recurringOrOnce) return <div className="row-sub">Manual only</div>;
  // Until the words come (a moment, the first time) a space keeps the line's height: a
  // virtual row measured short would grow under the reader's eyes.
  const text = preview.status === "ok" ? preview.preview.description : "\u00a0";
  // The engine's next fire (anchored like the schedule itself), not the preview's.
  const next = a.next_fire_at;
  return (
    <div className="row-sub">
      {text}
      {next && !a.paused && <span className="muted"> · next: {relativeTime(next, now)}</span>}
      {/* A pause the engine made is explained by the row's banner. */}
      {a.paused && !a.paused_reason && <span className="muted"> · paused</span>}
      {a.finished && !a.paused && <span className="muted"> · no more runs</span>}
    </div>
  );
}
