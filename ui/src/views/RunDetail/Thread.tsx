import { useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import type { Run } from "../../api";
import { StateChip } from "../../components/StateChip";
import { formatDateTime, plainLine } from "../../format";
import { href } from "../../routing";
import { useStore } from "../../stores/observable";
import { runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";
import { threadOrder } from "../Runs/threads";

/**
 * The thread this run belongs to, when it has more than this run: the run it started from,
 * then its follow-ups in order, indented under what they continue, each a link; this run is
 * marked. States stay live from the runs store.
 */
export function RunThread({ run }: { run: Run }) {
  const tick = useStore(resyncTick);
  const [ids, setIds] = useState<string[]>([]);
  const all = useStore(runs);

  useEffect(() => {
    let live = true;
    // Best effort: without it the page still links the parent (Follows up).
    api.getRunThread(run.id).then(
      (thread) => {
        if (!live) return;
        runs.upsertMany(thread);
        setIds(thread.map((r) => r.id));
      },
      () => {},
    );
    return () => {
      live = false;
    };
    // A new follow-up of this run starts while the page is open: its state change refetches.
  }, [run.id, run.state, tick]);

  const rows = useMemo(() => {
    const members = ids.map((id) => all.get(id)).filter((r): r is Run => r !== undefined);
    // The thread comes oldest first; the layout wants a list's newest-first order.
    return threadOrder([...members].reverse());
  }, [ids, all]);

  if (rows.length < 2 || !ids.includes(run.id)) return null;
  return (
    <nav className="run-thread" aria-label="Thread" data-testid="run-thread">
      <h3>Thread</h3>
      <ol>
        {rows.map(({ run: member, depth }) => {
          const current = member.id === run.id;
          const label = member.follow_up ? plainLine(member.follow_up.message) : "First run";
          return (
            <li
              key={member.id}
              className={`run-thread-item${current ? " current" : ""}`}
              style={{ paddingLeft: `${Math.min(depth, 6) * 1.1}rem` }}
              data-testid="thread-run"
              data-run-id={member.id}
            >
              {depth > 0 && (
                <span className="thread-mark" aria-hidden="true">
                  ↳{" "}
                </span>
              )}
              <StateChip state={member.state} />
              {current ? (
                <span aria-current="page" className="run-thread-label">
                  {label} <span className="muted">(this run)</span>
                </span>
              ) : (
                <a className="run-thread-label" href={href({ view: "run", runId: member.id })}>
                  {label}
                </a>
              )}
              <span className="muted small">{formatDateTime(member.queued_at)}</span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
