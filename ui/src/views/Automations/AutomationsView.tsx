import { useMemo, useState } from "react";
import type { Automation, Run } from "../../api";
import { runNowAndOpen } from "../../actions";
import { errorText } from "../../api";
import { useRunNowKey } from "../../hooks";
import { useListKeys } from "../../keyboard/useListKeys";
import { navigate } from "../../routing";
import { automations, automationsLoad } from "../../stores/automations";
import { useStore } from "../../stores/observable";
import { runs } from "../../stores/runs";
import { AutomationList } from "./AutomationList";
import { failureStreak } from "./AutomationRow";
import { EmptyState } from "./EmptyState";
import { history, type History } from "./glance";
import { PauseAllButton } from "./PauseAllButton";

type Filter = "all" | "scheduled" | "manual" | "paused" | "failing" | "needs_you";

const FILTERS: { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "scheduled", label: "Scheduled" },
  { id: "manual", label: "Manual only" },
  { id: "paused", label: "Paused" },
  { id: "failing", label: "Last run failed" },
  { id: "needs_you", label: "Needs you" },
];

/** What the search looks through, lowercased once per revision (each one is a new object). */
const searchable = new WeakMap<Automation, string>();
function searchText(a: Automation): string {
  let text = searchable.get(a);
  if (text === undefined) {
    text = `${a.title}\n${a.prompt}\n${a.workspace}`.toLowerCase();
    searchable.set(a, text);
  }
  return text;
}

/** Whether `a` shows under `filter`; `q` is the search, trimmed and lowercased. */
function matches(a: Automation, last: History["last"], filter: Filter, q: string): boolean {
  if (q && !searchText(a).includes(q)) return false;
  switch (filter) {
    case "all":
      return true;
    case "scheduled":
      return a.trigger.kind !== "manual" && !a.paused;
    case "manual":
      return a.trigger.kind === "manual";
    case "paused":
      return a.paused;
    case "failing":
      return last?.state === "failed" || failureStreak(a) > 0;
    case "needs_you":
      return last?.state === "awaiting_input";
  }
}

// One collator for the whole sort: `localeCompare` with options makes one per comparison.
const byTitle = new Intl.Collator(undefined, { numeric: true });

/** "10,000 automations", or "12 of 10,000 match" while a search or a filter narrows them. */
export function countText(shown: number, total: number, narrowed: boolean): string {
  if (!narrowed) return `${total.toLocaleString()} ${total === 1 ? "automation" : "automations"}`;
  return `${shown.toLocaleString()} of ${total.toLocaleString()} ${shown === 1 ? "matches" : "match"}`;
}

export function AutomationsView() {
  const all = useStore(automations);
  const load = useStore(automationsLoad);
  const allRuns = useStore(runs);
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<Filter>("all");

  const histories = useMemo(() => {
    const seen = new Map<string, Run[]>();
    for (const r of allRuns.values()) {
      const list = seen.get(r.automation_id);
      if (list) list.push(r);
      else seen.set(r.automation_id, [r]);
    }
    return new Map([...all.values()].map((a) => [a.id, history(a, seen.get(a.id) ?? [])]));
  }, [all, allRuns]);
  // Sorted when the automations change, not on every key typed in the search.
  const sorted = useMemo(() => [...all.values()].sort((a, b) => byTitle.compare(a.title, b.title)), [all]);
  const q = query.trim().toLowerCase();
  const shown = useMemo(
    () => sorted.filter((a) => matches(a, histories.get(a.id)?.last ?? null, filter, q)),
    [sorted, histories, filter, q],
  );
  const list = useListKeys(shown.length, (i) => navigate({ view: "runs", automationId: shown[i].id }));
  const selected = shown[list.index]?.id ?? null;

  useRunNowKey(selected && all.has(selected) ? () => void runNowAndOpen(selected) : null);

  const header = (
    <header className="view-header">
      <div className="automations-heading">
        <h1>Automations</h1>
        {all.size > 0 && (
          <span className="muted" data-testid="automations-count" role="status">
            {countText(shown.length, all.size, q !== "" || filter !== "all")}
          </span>
        )}
      </div>
      <div className="toolbar">
        <input
          type="search"
          placeholder="Search"
          aria-label="Search automations"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <select aria-label="Show" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
          {FILTERS.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
        <PauseAllButton automations={sorted} />
        <button
          type="button"
          className="primary"
          data-testid="new-automation"
          title="New automation (Ctrl+N)"
          onClick={() => navigate({ view: "new" })}
        >
          New automation
        </button>
      </div>
    </header>
  );

  if (load.status === "error" && all.size === 0) {
    return (
      <section className="view">
        {header}
        <p className="error-text" role="alert">
          Could not load automations: {errorText(load.error)}
        </p>
      </section>
    );
  }
  if (load.status === "ready" && all.size === 0) {
    return (
      <section className="view">
        {header}
        <EmptyState />
      </section>
    );
  }
  return (
    <section className="view automations-view">
      {header}
      {shown.length === 0 && load.status === "ready" && (
        <p className="muted">No automation matches.</p>
      )}
      <AutomationList automations={shown} histories={histories} list={list} />
    </section>
  );
}
