import { useEffect, useMemo, useRef, useState } from "react";
import * as api from "../../api";
import type { RunStats, Upcoming } from "../../api";
import { automations } from "../../stores/automations";
import { useStore } from "../../stores/observable";
import { resyncTick } from "../../stores/sync";

export const STATS_DAYS = 30;
export const UPCOMING_HOURS = 24;
/** The figures go stale slowly; the timeline's "now" moves. */
const REFRESH_MS = 5 * 60_000;
/** Automations change in bursts (a run ends, Pause all): one reload after the burst. */
const SETTLE_MS = 800;

export type Loaded<T> = { status: "loading" } | { status: "ok"; value: T } | { status: "error"; error: unknown };

export interface Overview {
  stats: Loaded<RunStats>;
  upcoming: Loaded<Upcoming>;
  /** When `upcoming` was asked for: the timeline's left edge. */
  since: number;
}

/**
 * The Overview's figures from the engine, reloaded when automations change (a run ending
 * updates its automation, and so do schedule edits and pauses), on a resync, and every few
 * minutes.
 */
export function useOverview(): Overview {
  const all = useStore(automations);
  const tick = useStore(resyncTick);
  // Revisions, not the map: a reload only when something changed.
  const signature = useMemo(() => [...all.values()].map((a) => `${a.id}:${a.revision}`).sort().join(","), [all]);
  const [state, setState] = useState<Overview>(() => ({
    stats: { status: "loading" },
    upcoming: { status: "loading" },
    since: Date.now(),
  }));
  const [loads, setLoads] = useState(0);
  const first = useRef(true);

  useEffect(() => {
    const t = setInterval(() => setLoads((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    let live = true;
    const delay = first.current ? 0 : SETTLE_MS;
    first.current = false;
    const timer = setTimeout(
      () => {
        const since = Date.now();
        const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        const settle = <T,>(p: Promise<T>): Promise<Loaded<T>> =>
          p.then(
            (value) => ({ status: "ok", value }),
            (error: unknown) => ({ status: "error", error }),
          );
        void Promise.all([settle(api.runStats(STATS_DAYS, zone)), settle(api.upcomingFires(UPCOMING_HOURS))]).then(
          ([stats, upcoming]) => {
            // A failed refresh keeps the figures shown; only the first load shows the error.
            if (live)
              setState((s) => ({
                stats: stats.status === "ok" || s.stats.status !== "ok" ? stats : s.stats,
                upcoming: upcoming.status === "ok" || s.upcoming.status !== "ok" ? upcoming : s.upcoming,
                since: upcoming.status === "ok" ? since : s.since,
              }));
          },
        );
      },
      delay,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [signature, tick, loads]);

  return state;
}
