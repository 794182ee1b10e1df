import { useEffect, useMemo, useRef, useState } from "react";
import { errorText, type Run } from "../../api";
import { runNowAndOpen } from "../../actions";
import { SandboxBadges } from "../../components/SandboxBadges";
import { useMediaQuery, WIDE } from "../../components/useMediaQuery";
import { useRunNowKey } from "../../hooks";
import { useListKeys } from "../../keyboard/useListKeys";
import { navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { useStore } from "../../stores/observable";
import { PausedBanner } from "../Automations/PausedBanner";
import { FilterBar } from "./FilterBar";
import { filtersFromQuery, filtersToQuery, isFiltered, timeWindow, toRunQuery, type RunFilters } from "./filters";
import { RunList } from "./RunList";
import { threadOrder } from "./threads";
import { RunPane } from "./RunPane";
import { usePagedRuns } from "./usePagedRuns";
import "./runs.css";

/**
 * Every run, or one automation's (`automationId`), filtered by `query` (the URL's). On wide
 * windows a selected run opens beside the list; narrower ones go to the run's page.
 */
export function RunsView({
  automationId,
  query = {},
}: {
  automationId?: string;
  query?: Readonly<Record<string, string>>;
}) {
  const automation = useStore(automations, (m) => (automationId ? m.get(automationId) : undefined));
  const allAutomations = useStore(automations);
  const sorted = useMemo(() => [...allAutomations.values()].sort((a, b) => a.title.localeCompare(b.title)), [allAutomations]);
  const wide = useMediaQuery(WIDE);

  const queryKey = JSON.stringify(query);
  const filters = useMemo(() => filtersFromQuery(JSON.parse(queryKey) as Record<string, string>), [queryKey]);
  // The window is fixed when the filters are chosen: "today" means the day they were set.
  const runQuery = useMemo(() => toRunQuery(filters, automationId ?? null, timeWindow(filters)), [filters, automationId]);
  const paged = usePagedRuns(runQuery);
  // Follow-ups under the run they continue; keys and clicks go by the rows as shown.
  const threaded = useMemo(() => threadOrder(paged.shown), [paged.shown]);
  const shown = useMemo(() => threaded.map((r) => r.run), [threaded]);
  const depthOf = useMemo(() => {
    const depths = new Map<string, number>();
    for (const row of threaded) if (row.depth > 0) depths.set(row.run.id, row.depth);
    return depths;
  }, [threaded]);

  const go = (next: RunFilters, id = automationId) => navigate({ view: "runs", automationId: id, query: filtersToQuery(next) });

  const [selectedId, setSelectedId] = useState<string | null>(null);
  const pane = wide ? selectedId : null;
  // Keys: j/k move the selection (the pane follows it), Enter opens the run's own page.
  const list = useListKeys(shown.length, (i) => navigate({ view: "run", runId: shown[i].id }));
  // A click opens the run: beside the list when there is room, else on its own page.
  const open = (i: number) => {
    const run = shown[i];
    if (!run) return;
    list.select(i);
    if (wide) setSelectedId(run.id);
    else navigate({ view: "run", runId: run.id });
  };
  useSelectionByRun(shown, list, selectedId, setSelectedId);

  // With a run beside the list, Ctrl+Enter is the pane's (it runs that run's automation).
  useRunNowKey(automationId && !pane ? () => void runNowAndOpen(automationId) : null);

  const titleOf = (run: Run) => (automationId ? null : (allAutomations.get(run.automation_id)?.title ?? "Deleted automation"));
  const filtered = isFiltered(filters);

  return (
    <section className={`view runs-view${pane ? " with-pane" : ""}`}>
      <div className="runs-list-column">
        <header className="view-header">
          <h1>
            {automationId ? (automation?.title ?? "Runs") : "Runs"}
            {automation && (
              <>
                {" "}
                <SandboxBadges automation={automation} />
              </>
            )}
          </h1>
          {automationId && (
            <div className="toolbar">
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
          )}
        </header>
        {automation && <PausedBanner automation={automation} className="runs-paused" />}
        <FilterBar
          filters={filters}
          automationId={automationId ?? null}
          automations={sorted}
          onChange={(next) => go(next)}
          onAutomation={(id) => go(filters, id ?? undefined)}
        />
        {paged.error != null && (
          <p className="error-text" role="alert">
            Could not load runs: {errorText(paged.error)}
          </p>
        )}
        {!paged.loading && shown.length === 0 && paged.error == null ? (
          <div className="runs-empty">
            <p className="muted">
              {filtered
                ? "No run matches these filters."
                : automationId
                  ? "No runs yet. Click Run now to start one."
                  : "No runs yet. Runs appear here when an automation runs, on its schedule or with Run now."}
            </p>
          </div>
        ) : (
          <RunList
            runs={shown}
            depthOf={depthOf}
            titleOf={titleOf}
            list={list}
            selectedId={pane}
            onOpen={open}
            onNearEnd={paged.loadMore}
            footer={
              <div className="runs-footer">
                {paged.loading && shown.length === 0 ? (
                  <span className="muted small" aria-busy="true">
                    Loading…
                  </span>
                ) : paged.more ? (
                  <button type="button" disabled={paged.loading} onClick={paged.loadMore}>
                    {paged.loading ? "Loading…" : "Load more"}
                  </button>
                ) : (
                  shown.length > 0 && (
                    <span className="muted small">
                      {shown.length === 1 ? "1 run" : `${shown.length} runs`}
                      {filtered ? " match" : ""}
                    </span>
                  )
                )}
              </div>
            }
          />
        )}
      </div>
      {pane && <RunPane runId={pane} onClose={() => setSelectedId(null)} />}
    </section>
  );
}

/**
 * Keeps the keys' selection on the same run while the list changes under it (a new run
 * arrives on top), and makes a selection moved by the keys the selected run.
 */
function useSelectionByRun(
  shown: readonly Run[],
  list: ReturnType<typeof useListKeys>,
  selectedId: string | null,
  setSelectedId: (id: string) => void,
) {
  const lastIndex = useRef(list.index);
  useEffect(() => {
    if (list.index !== lastIndex.current) {
      lastIndex.current = list.index;
      const id = shown[list.index]?.id;
      if (id && id !== selectedId) setSelectedId(id);
      return;
    }
    if (!selectedId) return;
    const i = shown.findIndex((r) => r.id === selectedId);
    // Gone from the list (a filter): the keys start over rather than land on another run.
    if (i !== list.index) list.select(i);
  });
}
