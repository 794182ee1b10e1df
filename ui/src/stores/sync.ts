import * as api from "../api";
import type { EventRecord } from "../api";
import { automations, automationsLoad, reloadAutomations } from "./automations";
import { inboxStore } from "./inbox";
import { Observable } from "./observable";
import { loadRecentRuns, runs } from "./runs";
import { reloadOpenTranscripts, routePartUpdate } from "./transcripts";

/** Grows on every resync; views that hold their own pages reload when it changes. */
export const resyncTick = new (class extends Observable<number> {
  bump() {
    this.set(this.state + 1);
  }
})(0);

export function applyEvent(record: EventRecord): void {
  switch (record.kind) {
    case "automation.updated":
      automations.upsert(record.payload);
      break;
    case "automation.deleted":
      automations.remove(record.payload.id, record.payload.revision);
      break;
    case "run.updated":
      runs.upsert(record.payload);
      inboxStore.onRunUpdated(record.payload);
      break;
    case "blocker.raised":
    case "blocker.resolved":
      // The run's own `run.updated` carries the blocker; the inbox may change.
      inboxStore.scheduleReload();
      break;
    case "session.part":
      routePartUpdate(record.payload);
      break;
  }
}

export async function loadAll(): Promise<void> {
  await Promise.allSettled([reloadAutomations(), loadRecentRuns(), inboxStore.reload()]);
}

/**
 * Feeds the stores from engine events. Loads only once the listeners are in place, so no
 * change falls between the load and the first event (the revision rule drops duplicates).
 */
export function startSync(): () => void {
  let stopped = false;
  const unlisteners: (() => void)[] = [];
  void Promise.allSettled([
    api.onEngineEvent(applyEvent),
    api.onResync(() => {
      resyncTick.bump();
      reloadOpenTranscripts();
      void loadAll();
    }),
  ]).then((results) => {
    for (const r of results) {
      if (r.status !== "fulfilled") continue;
      if (stopped) r.value();
      else unlisteners.push(r.value);
    }
    if (!stopped) void loadAll();
  });
  return () => {
    stopped = true;
    unlisteners.forEach((u) => u());
  };
}

/** Empties every store (between tests). */
export function resetStores(): void {
  automations.reset();
  runs.reset();
  inboxStore.reset();
  automationsLoad.update({ status: "idle" });
}
