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
/**
 * Opened with figures already loaded: they are refreshed once the view has painted, so the
 * engine's calls (tens of milliseconds at 100,000 runs, their answers handled on the page's
 * thread) do not compete with drawing the view.
 */
const REFRESH_SHOWN_MS = 500;

export type Loaded<T> = { status: "loading" } | { status: "ok"; value: T } | { status: "error"; error: unknown };

export interface Overview {
  stats: Loaded<RunStats>;
  upcoming: Loaded<Upcoming>;
  /** When `upcoming` was asked for: the timeline's left edge. */
  since: number;
}

/** The figures last loaded, shown at once when the view opens again (then refreshed). */
let lastLoaded: Overview | null = null;

const settle = <T,>(p: Promise<T>): Promise<Loaded<T>> =>
  p.then(
    (value) => ({ status: "ok", value }),
    (error: unknown) => ({ status: "error", error }),
  );

/** Asks the engine for both figures; a failed refresh keeps what `previous` showed. */
async function load(previous: Overview | null): Promise<Overview> {
  const since = Date.now();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [stats, upcoming] = await Promise.all([
    settle(api.runStats(STATS_DAYS, zone)),
    settle(api.upcomingFires(UPCOMING_HOURS)),
  ]);
  // Only the first load shows an error; later ones keep the figures shown.
  const keep = <T,>(next: Loaded<T>, shown: Loaded<T> | undefined) =>
    next.status === "ok" || shown?.status !== "ok" ? next : shown;
  return {
    stats: keep(stats, previous?.stats),
    upcoming: keep(upcoming, previous?.upcoming),
    since: upcoming.status === "ok" || !previous ? since : previous.since,
  };
}

/** Drops the figures last loaded (the next view waits for the engine's). */
export function forgetOverview(): void {
  lastLoaded = null;
}

/**
 * Loads the Overview's figures in the background (once the app has painted), so the first
 * visit draws its charts at once instead of waiting for the engine (tens of milliseconds
 * at 100,000 runs, more while its pages are cold).
 */
export function prefetchOverview(): void {
  if (lastLoaded) return;
  void load(null).then((loaded) => {
    lastLoaded ??= loaded;
  });
}

/**
 * The Overview's figures from the engine, reloaded when automations change (a run ending
 * updates its automation, and so do schedule edits and pauses), on a resync, and every few
 * minutes. Opening the view shows the figures last loaded at once and refreshes them.
 */
export function useOverview(): Overview {
  const all = useStore(automations);
  const tick = useStore(resyncTick);
  // Revisions, not the map: a reload only when something changed.
  const signature = useMemo(() => [...all.values()].map((a) => `${a.id}:${a.revision}`).sort().join(","), [all]);
  const [state, setState] = useState<Overview>(
    () => lastLoaded ?? { stats: { status: "loading" }, upcoming: { status: "loading" }, since: Date.now() },
  );
  const [loads, setLoads] = useState(0);
  const first = useRef(true);
  const openedWithFigures = useRef(lastLoaded !== null);

  useEffect(() => {
    const t = setInterval(() => setLoads((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    let live = true;
    const delay = !first.current ? SETTLE_MS : openedWithFigures.current ? REFRESH_SHOWN_MS : 0;
    first.current = false;
    const timer = setTimeout(() => {
      void load(lastLoaded).then((loaded) => {
        lastLoaded = loaded;
        if (live) setState(loaded);
      });
    }, delay);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [signature, tick, loads]);

  return state;
}
