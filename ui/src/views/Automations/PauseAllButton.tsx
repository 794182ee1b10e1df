import { useState } from "react";
import * as api from "../../api";
import type { Automation } from "../../api";
import { reloadAutomations } from "../../stores/automations";
import { notices } from "../../stores/notices";

/**
 * "Pause all" stops every schedule at once (going away, a flaky provider); "Resume all"
 * brings back exactly the ones it paused, and is offered while any is paused that way.
 */
export function PauseAllButton({ automations }: { automations: readonly Automation[] }) {
  const [busy, setBusy] = useState(false);
  const resume = automations.some((a) => a.paused && a.paused_reason === "all_paused");
  const running = automations.some((a) => a.trigger.kind !== "manual" && !a.paused && !a.finished);
  if (!resume && !running) return null;

  const act = async () => {
    setBusy(true);
    try {
      const changed = await api.pauseAllSchedules(!resume);
      await reloadAutomations();
      const what = changed === 1 ? "1 schedule" : `${changed} schedules`;
      notices.show(resume ? `Resumed ${what}` : `Paused ${what}`);
    } catch (e) {
      notices.error(resume ? "Could not resume the schedules" : "Could not pause the schedules", e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <button
      type="button"
      disabled={busy}
      data-testid={resume ? "resume-all" : "pause-all"}
      title={resume ? "Resume the schedules paused together" : "Pause every schedule; Run now still works"}
      onClick={() => void act()}
    >
      {resume ? "Resume all" : "Pause all"}
    </button>
  );
}
