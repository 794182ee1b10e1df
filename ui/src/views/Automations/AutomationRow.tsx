import { useState } from "react";
import * as api from "../../api";
import type { Automation, Run } from "../../api";
import { runNowAndOpen } from "../../actions";
import { SandboxBadges } from "../../components/SandboxBadges";
import { StateChip } from "../../components/StateChip";
import { relativeTime, runReason } from "../../format";
import { useNow, useSchedulePreview } from "../../hooks";
import { href, navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { notices } from "../../stores/notices";

/** Failed runs in a row, as the engine derives it. */
export function failureStreak(a: Automation): number {
  return a.failure_streak;
}

export function AutomationRow({
  automation: a,
  lastRun,
  selected,
  onSelect,
}: {
  automation: Automation;
  lastRun: Run | undefined;
  selected: boolean;
  onSelect: () => void;
}) {
  const [pausing, setPausing] = useState(false);
  const streak = failureStreak(a);

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
      className={selected ? "row selected" : "row"}
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
      </div>
      <div className="row-status">
        {lastRun ? (
          <a href={href({ view: "run", runId: lastRun.id })} aria-label={`Last run: ${lastRun.state}`}>
            <StateChip state={lastRun.state} reason={runReason(lastRun)} testId="last-run-state" />
          </a>
        ) : (
          <span className="muted">No runs yet</span>
        )}
        <SandboxBadges automation={a} />
        {streak > 0 && (
          <span className="badge badge-warn" title="Failed runs in a row">
            {streak} failed in a row
          </span>
        )}
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
    </li>
  );
}

function ScheduleLine({ automation: a }: { automation: Automation }) {
  const now = useNow(60_000);
  const recurringOrOnce = a.trigger.kind !== "manual";
  const preview = useSchedulePreview(recurringOrOnce ? a.trigger : null, a.stop, 1);
  if (!recurringOrOnce) return <div className="row-sub">Manual only</div>;
  const text = preview.status === "ok" ? preview.preview.description : "";
  // The engine's next fire (anchored like the schedule itself), not the preview's.
  const next = a.next_fire_at;
  return (
    <div className="row-sub">
      {text}
      {next && !a.paused && <span className="muted"> · next: {relativeTime(next, now)}</span>}
      {a.paused && (
        <span className="muted">
          {a.paused_reason === "failure_streak" ? " · paused after failing repeatedly" : " · paused"}
        </span>
      )}
      {a.finished && !a.paused && <span className="muted"> · no more runs</span>}
    </div>
  );
}
