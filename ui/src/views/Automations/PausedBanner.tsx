import { useState } from "react";
import * as api from "../../api";
import type { Automation } from "../../api";
import { automations, reloadAutomations } from "../../stores/automations";
import { notices } from "../../stores/notices";

/** Why the engine paused this automation, in words. */
export function pausedText(a: Pick<Automation, "paused_reason" | "failure_streak" | "failure_streak_limit">): string | null {
  switch (a.paused_reason) {
    case "failure_streak": {
      // The streak is what paused it; an old automation may report none, its limit is the same.
      const n = a.failure_streak || a.failure_streak_limit;
      return n === 1 ? "Paused after a failed run" : `Paused after ${n} failed runs in a row`;
    }
    case "all_paused":
      return "Paused with all schedules";
    default:
      return null;
  }
}

/**
 * An automation the engine paused (a failure streak, or Pause all) says why and offers the
 * way back: Resume for this one, Resume all for the schedules paused together.
 */
export function PausedBanner({ automation: a, className = "" }: { automation: Automation; className?: string }) {
  const [busy, setBusy] = useState(false);
  const text = a.paused ? pausedText(a) : null;
  if (!text) return null;

  const resume = async () => {
    setBusy(true);
    try {
      if (a.paused_reason === "all_paused") {
        await api.pauseAllSchedules(false);
        await reloadAutomations();
      } else {
        automations.upsert(await api.setPaused(a.id, false));
      }
    } catch (e) {
      notices.error("Could not resume", e);
    } finally {
      setBusy(false);
    }
  };

  const all = a.paused_reason === "all_paused";
  return (
    <div className={`paused-banner ${className}`} role="status" data-testid="paused-banner">
      <span className="paused-banner-text">{text}</span>
      <button
        type="button"
        disabled={busy}
        aria-label={all ? "Resume all schedules" : `Resume ${a.title}`}
        onClick={() => void resume()}
      >
        {all ? "Resume all" : "Resume"}
      </button>
    </div>
  );
}
