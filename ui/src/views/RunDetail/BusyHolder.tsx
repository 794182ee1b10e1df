import { useEffect, useState } from "react";
import * as api from "../../api";
import type { Run, WorkAreaHolder } from "../../api";
import { formatDateTime } from "../../format";
import { href } from "../../routing";
import { notices } from "../../stores/notices";
import { useStore } from "../../stores/observable";
import { isActive, runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";

/**
 * For a run that ended `stopped`/`writer_busy`: which run held the work area, with a link to
 * it, and Cancel that run while it is still active. Renders nothing for other runs, and when
 * the engine no longer knows the holder.
 */
export function BusyHolder({ run }: { run: Run }) {
  const busy = run.state === "stopped" && run.stop_reason === "writer_busy";
  const tick = useStore(resyncTick);
  const [holder, setHolder] = useState<WorkAreaHolder | null>(null);

  useEffect(() => {
    if (!busy) return;
    let live = true;
    // Best effort: the stop reason already says the work area was busy.
    api.getWorkAreaHolder(run.id).then(
      (found) => {
        if (live) setHolder(found);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [run.id, busy, tick]);

  if (!busy || !holder) return null;
  return <HolderLine holder={holder} />;
}

function HolderLine({ holder }: { holder: WorkAreaHolder }) {
  // The holder as the window last saw it (events, or a cancel from here) beats the answer's.
  const seen = useStore(runs, (m) => m.get(holder.run_id));
  const state = seen?.state ?? holder.state;
  const until = seen ? seen.finished_at : holder.until;
  const [cancelling, setCancelling] = useState(false);

  const cancel = async () => {
    setCancelling(true);
    try {
      runs.upsert(await api.cancelRun(holder.run_id));
    } catch (e) {
      notices.error("Could not cancel", e);
    } finally {
      setCancelling(false);
    }
  };

  const since = formatDateTime(holder.since);
  const when = isActive(state)
    ? state === "awaiting_input"
      ? `running since ${since}, now waiting for input`
      : `running since ${since}`
    : until
      ? `ran from ${since} to ${formatDateTime(until)}`
      : `started ${since}`;
  return (
    <p className="busy-holder" data-testid="work-area-holder">
      The work area was held by another run:{" "}
      <a href={href({ view: "run", runId: holder.run_id })}>{holder.automation_title}</a>, {when}.
      {isActive(state) && (
        <>
          {" "}
          <button
            type="button"
            className="danger"
            data-testid="cancel-holder"
            disabled={cancelling}
            aria-busy={cancelling}
            onClick={() => void cancel()}
          >
            Cancel that run
          </button>
        </>
      )}
    </p>
  );
}
