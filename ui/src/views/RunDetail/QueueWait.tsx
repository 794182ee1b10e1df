import * as api from "../../api";
import type { QueuePlace, Run } from "../../api";
import { usePolled } from "../../hooks";
import { href } from "../../routing";
import { useStore } from "../../stores/observable";
import { resyncTick } from "../../stores/sync";

// The queue moves without an event for the waiting run: its place is asked for again.
const REFRESH_MS = 2000;

/** For a queued run: what it waits for, in words. Renders nothing for other runs. */
export function QueueWait({ run }: { run: Run }) {
  const queued = run.state === "queued";
  const tick = useStore(resyncTick);
  // Best effort: the state chip already says the run is queued.
  const place = usePolled(() => api.queuePlace(run.id), {
    everyMs: REFRESH_MS,
    owner: run.id,
    refreshOn: [run.revision, tick],
    enabled: queued,
  });

  // A run about to start at the dispatcher's next look waits for nothing worth saying.
  if (!queued || !place || !mustWait(place)) return null;
  return (
    <p className="queue-wait" data-testid="queue-wait">
      {waitText(place)}
      {!place.work_area_busy && !place.waiting_for_worker && (
        <>
          {" "}
          <a href={href({ view: "settings" })}>Change the limit</a>
        </>
      )}
    </p>
  );
}

/** Whether the run waits for others to end (the engine's `QueuePlace::must_wait`). */
function mustWait(place: QueuePlace): boolean {
  const providerFull = place.provider !== null && place.provider.running >= place.provider.limit;
  return (
    place.work_area_busy ||
    Boolean(place.waiting_for_worker) ||
    providerFull ||
    place.running + place.ahead >= place.max_concurrent_runs
  );
}

/** "Waiting for a free slot — 3 ahead, 4 of 4 running". */
function waitText(place: QueuePlace): string {
  // No connected worker has its folder: a bigger limit would not help.
  if (place.waiting_for_worker) {
    return `Waiting for a worker that serves ${place.waiting_for_worker} — none is connected. Open the app, or start \`autowork daemon --serve\`, on the computer that has this folder.`;
  }
  // It waits for the writer whatever the slots say; a bigger limit would not help.
  if (place.work_area_busy) return "Waiting for the run that writes in this work area to end.";
  const ahead = place.ahead === 0 ? "next" : `${place.ahead} ahead`;
  const provider = place.provider;
  if (provider && provider.running >= provider.limit && place.running < place.max_concurrent_runs) {
    return `Waiting for a free ${provider.provider_id} slot — ${ahead}, ${provider.running} of ${provider.limit} running.`;
  }
  return `Waiting for a free slot — ${ahead}, ${place.running} of ${place.max_concurrent_runs} running.`;
}
