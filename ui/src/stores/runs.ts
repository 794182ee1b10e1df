import * as api from "../api";
import type { Run, RunState } from "../api";
import { RevisionMap } from "./revisionMap";

/** Every run the window has seen, from pages, the inbox and `run.updated` events. */
export const runs = new RevisionMap<Run>();

export const ACTIVE_STATES: readonly RunState[] = ["queued", "running", "awaiting_input"];
export const isActive = (state: RunState) => ACTIVE_STATES.includes(state);

/** Newest first; ids are time-sortable, so they break ties. */
export function newestFirst(a: Run, b: Run): number {
  if (a.queued_at !== b.queued_at) return a.queued_at < b.queued_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Seeds the store with the most recent runs (the inbox badge counts unread ones among them;
 * the automation list reads its last runs from the automations, not from here).
 */
export async function loadRecentRuns(): Promise<void> {
  const page = await api.listRuns(null, [], null, 100);
  runs.upsertMany(page.runs);
}
