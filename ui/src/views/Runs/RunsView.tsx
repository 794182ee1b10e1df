import { useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import { errorText, type RunState } from "../../api";
import { runNowAndOpen } from "../../actions";
import { SandboxBadges } from "../../components/SandboxBadges";
import { useRunNowKey } from "../../hooks";
import { navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { useStore } from "../../stores/observable";
import { newestFirst, runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";
import { RunRow } from "./RunRow";

const PAGE = 50;
const STATES: RunState[] = ["queued", "running", "awaiting_input", "succeeded", "failed", "stopped"];

interface Paging {
  /** The oldest run loaded so far; newer runs in the store (from events) are shown too. */
  oldest: { queued_at: string; id: string } | null;
  cursor: string | null;
  loading: boolean;
  error: unknown;
}

export function RunsView({ automationId }: { automationId: string }) {
  const automation = useStore(automations, (m) => m.get(automationId));
  const all = useStore(runs);
  const tick = useStore(resyncTick);
  const [filter, setFilter] = useState<RunState | "">("");
  const [paging, setPaging] = useState<Paging>({ oldest: null, cursor: null, loading: true, error: null });

  const fetchPage = async (cursor: string | null, previous: Paging["oldest"]): Promise<Paging> => {
    const page = await api.listRuns(automationId, filter ? [filter] : [], cursor, PAGE);
    runs.upsertMany(page.runs);
    const last = page.runs[page.runs.length - 1];
    return {
      oldest: last ? { queued_at: last.queued_at, id: last.id } : previous,
      cursor: page.next_cursor,
      loading: false,
      error: null,
    };
  };

  const loadMore = async () => {
    setPaging((p) => ({ ...p, loading: true, error: null }));
    try {
      setPaging(await fetchPage(paging.cursor, paging.oldest));
    } catch (error) {
      setPaging((p) => ({ ...p, loading: false, error }));
    }
  };

  useEffect(() => {
    let live = true;
    fetchPage(null, null).then(
      (next) => live && setPaging(next),
      (error: unknown) => live && setPaging((p) => ({ ...p, loading: false, error })),
    );
    return () => {
      live = false;
    };
    // fetchPage reads only automationId and filter, both listed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [automationId, filter, tick]);

  // Runs from events join the list live; older ones appear only once their page is loaded.
  const shown = useMemo(() => {
    const list = [...all.values()].filter(
      (r) => r.automation_id === automationId && (!filter || r.state === filter),
    );
    list.sort(newestFirst);
    if (!paging.cursor) return list;
    const oldest = paging.oldest;
    return oldest
      ? list.filter((r) => newestFirst(r, { ...r, queued_at: oldest.queued_at, id: oldest.id }) <= 0)
      : list;
  }, [all, automationId, filter, paging.cursor, paging.oldest]);

  useRunNowKey(() => void runNowAndOpen(automationId));

  return (
    <section className="view">
      <header className="view-header">
        <h1>
          {automation?.title ?? "Runs"}
          {automation && (
            <>
              {" "}
              <SandboxBadges automation={automation} />
            </>
          )}
        </h1>
        <div className="toolbar">
          <select aria-label="Filter by state" value={filter} onChange={(e) => setFilter(e.target.value as RunState | "")}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => navigate({ view: "edit", id: automationId })}>
            Edit
          </button>
          <button
            type="button"
            className="primary"
            data-testid="run-now"
            title="Run now (Ctrl+Enter)"
            onClick={() => void runNowAndOpen(automationId)}
          >
            Run now
          </button>
        </div>
      </header>
      {paging.error != null && (
        <p className="error-text" role="alert">
          Could not load runs: {errorText(paging.error)}
        </p>
      )}
      {!paging.loading && shown.length === 0 && !paging.error && (
        <p className="muted">{filter ? "No run in this state." : "No runs yet. Click Run now to start one."}</p>
      )}
      {shown.length > 0 && (
        <table className="runs" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Trigger</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Steps</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <RunRow key={r.id} run={r} />
            ))}
          </tbody>
        </table>
      )}
      {paging.cursor && (
        <button type="button" disabled={paging.loading} onClick={() => void loadMore()}>
          {paging.loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
