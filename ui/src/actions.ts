import * as api from "./api";
import { navigate } from "./routing";
import { notices } from "./stores/notices";
import { runs } from "./stores/runs";

/** Run now, then open the run so the user watches it (and can answer it). */
export async function runNowAndOpen(automationId: string): Promise<void> {
  try {
    const run = await api.runNow(automationId);
    runs.upsert(run);
    navigate({ view: "run", runId: run.id });
  } catch (e) {
    notices.error("Could not start the run", e);
  }
}

/** Whether a key event is the platform's Ctrl (Linux, Windows) or Cmd (macOS) chord. */
export function isPrimaryChord(e: KeyboardEvent, key: string): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === key.toLowerCase();
}
