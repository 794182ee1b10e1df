import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import * as api from "../../api";
import type { Run, RunQuery } from "../../api";
import { useStore } from "../../stores/observable";
import { newestFirst, runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";
import { matchesQuery } from "./filters";

export const PAGE = 100;

interface Pages {
  /** The query these pages answer (its JSON). */
  key: string;
  /** Run ids in the engine's order (newest first), page after page. */
  ids: string[];
  cursor: string | null;
  loading: boolean;
  error: unknown;
}

export interface PagedRuns {
  /** Runs loaded by pages, plus the ones events brought that match: newest first. */
  shown: Run[];
  /** Whether older runs are left to load. */
  more: boolean;
  loading: boolean;
  error: unknown;
  loadMore: () => void;
}

/**
 * The runs matching `query`, a page at a time (keyset paging, the engine's cursor), kept
 * live: a run that arrives by event and matches joins at its place; one that stops matching
 * (its state changed past a state filter) leaves. Reloads on a resync.
 */
export function usePagedRuns(query: RunQuery): PagedRuns {
  const key = JSON.stringify(query);
  const all = useStore(runs);
  const tick = useStore(resyncTick);
  const [pages, setPages] = useState<Pages>({ key: "", ids: [], cursor: null, loading: true, error: null });
  // The latest request's number: an answer to an older one (the filters changed) is dropped.
  const request = useRef(0);

  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const mine = ++request.current;
      setPages((p) => (p.key === key ? { ...p, loading: true, error: null } : { key, ids: [], cursor: null, loading: true, error: null }));
      try {
        const page = await api.queryRuns(JSON.parse(key) as RunQuery, cursor, PAGE);
        if (mine !== request.current) return;
        runs.upsertMany(page.runs);
        setPages((p) => {
          const before = cursor && p.key === key ? p.ids : [];
          const seen = new Set(before);
          const ids = [...before, ...page.runs.map((r) => r.id).filter((id) => !seen.has(id))];
          return { key, ids, cursor: page.next_cursor, loading: false, error: null };
        });
      } catch (error) {
        if (mine !== request.current) return;
        setPages((p) => ({ ...p, key, loading: false, error }));
      }
    },
    [key],
  );

  useEffect(() => {
    void fetchPage(null);
  }, [fetchPage, tick]);

  const current = pages.key === key ? pages : null;
  const cursor = current?.cursor ?? null;
  const busy = !current || current.loading;
  const loadMore = useCallback(() => {
    if (cursor && !busy) void fetchPage(cursor);
  }, [cursor, busy, fetchPage]);

  const ids = useMemo(() => current?.ids ?? [], [current]);
  const shown = useMemo(() => liveList(all, ids, JSON.parse(key) as RunQuery, cursor !== null), [all, ids, key, cursor]);

  return { shown, more: cursor !== null, loading: busy, error: current?.error ?? null, loadMore };
}

/**
 * The loaded runs with their latest copies, and the store's other runs that match and fall
 * within the loaded stretch (all of them once the last page is in). Linear in the runs held:
 * the pages are in order already, only the few extra runs need sorting.
 */
export function liveList(all: ReadonlyMap<string, Run>, ids: readonly string[], q: RunQuery, more: boolean): Run[] {
  const states = q.states && q.states.length > 0 ? new Set(q.states) : null;
  const loaded: Run[] = [];
  for (const id of ids) {
    const run = all.get(id);
    // Only the state of a run changes: the rest of the query matched when it was loaded.
    if (run && (!states || states.has(run.state))) loaded.push(run);
  }
  const inPages = new Set(ids);
  const oldestId = ids[ids.length - 1];
  const oldest = oldestId ? all.get(oldestId) : undefined;
  const extra: Run[] = [];
  for (const run of all.values()) {
    if (inPages.has(run.id) || !matchesQuery(run, q)) continue;
    // Below the oldest loaded run, older pages decide (they are not loaded yet).
    if (more && (!oldest || newestFirst(run, oldest) > 0)) continue;
    extra.push(run);
  }
  if (extra.length === 0) return loaded;
  extra.sort(newestFirst);
  const merged: Run[] = [];
  let i = 0;
  let j = 0;
  while (i < extra.length || j < loaded.length) {
    if (j >= loaded.length || (i < extra.length && newestFirst(extra[i], loaded[j]) <= 0)) merged.push(extra[i++]);
    else merged.push(loaded[j++]);
  }
  return merged;
}
