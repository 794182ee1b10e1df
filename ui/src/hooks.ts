import { useEffect, useRef, useState } from "react";
import * as api from "./api";
import type { SchedulePreview, StopCondition, Trigger } from "./api";
import { SHORTCUTS } from "./keyboard/shortcuts";

/** The current time, refreshed every `everyMs` (for "in 3 h" labels). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/**
 * What `load` last answered for `owner`, asked for now, every `everyMs` while `enabled`, and
 * again when `owner` or anything in `refreshOn` changes. Best effort: a failed load keeps the
 * last answer. Null until the first answer for the current `owner`; a refresh for the same
 * owner keeps the last answer shown until its own arrives.
 */
export function usePolled<T>(
  load: () => Promise<T>,
  options: { everyMs: number; owner?: string; refreshOn?: readonly unknown[]; enabled?: boolean },
): T | null {
  const { everyMs, owner = "", refreshOn = [], enabled = true } = options;
  const [answer, setAnswer] = useState<{ owner: string; value: T } | null>(null);
  const refresh = JSON.stringify(refreshOn);
  const latest = useRef(load);
  useEffect(() => {
    latest.current = load;
  });
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const ask = () =>
      latest.current().then(
        (value) => {
          if (live) setAnswer({ owner, value });
        },
        () => {},
      );
    void ask();
    const timer = setInterval(() => void ask(), everyMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [owner, refresh, everyMs, enabled]);
  return answer?.owner === owner ? answer.value : null;
}

/** Calls `action` on Ctrl/Cmd+Enter while mounted (Run now on the automation in view). */
export function useRunNowKey(action: (() => void) | null): void {
  const latest = useRef(action);
  useEffect(() => {
    latest.current = action;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!SHORTCUTS.runNow.matches(e) || !latest.current) return;
      e.preventDefault();
      latest.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

export type PreviewState =
  | { status: "none" }
  | { status: "loading" }
  | { status: "ok"; preview: SchedulePreview }
  | { status: "error"; error: unknown };

// Shared by the list rows: one preview per distinct schedule, refreshed after a minute.
const cache = new Map<string, { at: number; value: Promise<SchedulePreview> }>();

export function cachedPreview(trigger: Trigger, stop: StopCondition, count: number) {
  const key = JSON.stringify([trigger, stop, count]);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < 60_000) return hit.value;
  const value = api.previewSchedule(trigger, stop, count);
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  return value;
}

/**
 * The schedule's description and next fires; `delayMs` debounces typing in the editor.
 * `trigger` null means nothing to preview.
 */
export function useSchedulePreview(
  trigger: Trigger | null,
  stop: StopCondition,
  count: number,
  delayMs = 0,
): PreviewState {
  const key = trigger ? JSON.stringify([trigger, stop, count]) : "";
  const [state, setState] = useState<{ key: string; value: PreviewState }>({
    key: "",
    value: { status: "none" },
  });
  useEffect(() => {
    if (!key) return;
    let live = true;
    const [t, s, c] = JSON.parse(key) as [Trigger, StopCondition, number];
    const timer = setTimeout(() => {
      cachedPreview(t, s, c).then(
        (preview) => live && setState({ key, value: { status: "ok", preview } }),
        (error: unknown) => live && setState({ key, value: { status: "error", error } }),
      );
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, delayMs]);
  if (!key) return { status: "none" };
  // While a new schedule is being computed, keep showing the last answer (no flicker).
  if (state.key !== key) return state.value.status === "none" ? { status: "loading" } : state.value;
  return state.value;
}
