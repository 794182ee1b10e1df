import type { Automation, RunState, RunTrigger } from "../../api";
import { STATE_LABELS } from "../../format";
import { isFiltered, NO_FILTERS, RANGES, rangeBackwards, STATES, TRIGGER_LABELS, TRIGGERS, type Range, type RunFilters } from "./filters";

/** `list` with `item` switched on or off, in `known`'s order (the URL reads the same either way). */
function toggled<T>(known: readonly T[], list: readonly T[], item: T, on: boolean): T[] {
  return known.filter((x) => (x === item ? on : list.includes(x)));
}

/**
 * The Runs view's filters: states and triggers as toggles (several at once), the automation,
 * and when the runs were queued. Every change goes to the URL, so it survives a reload.
 */
export function FilterBar({
  filters,
  automationId,
  automations,
  onChange,
  onAutomation,
}: {
  filters: RunFilters;
  automationId: string | null;
  automations: readonly Automation[];
  onChange: (next: RunFilters) => void;
  onAutomation: (id: string | null) => void;
}) {
  const set = (patch: Partial<RunFilters>) => onChange({ ...filters, ...patch });
  const backwards = rangeBackwards(filters);
  return (
    <div className="run-filters" role="group" aria-label="Filters">
      <fieldset className="filter-toggles">
        <legend>State</legend>
        {STATES.map((s: RunState) => (
          <label key={s} className="filter-toggle">
            <input
              type="checkbox"
              checked={filters.states.includes(s)}
              onChange={(e) => set({ states: toggled(STATES, filters.states, s, e.target.checked) })}
            />
            {STATE_LABELS[s]}
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-toggles">
        <legend>Trigger</legend>
        {TRIGGERS.map((t: RunTrigger) => (
          <label key={t} className="filter-toggle">
            <input
              type="checkbox"
              checked={filters.triggers.includes(t)}
              onChange={(e) => set({ triggers: toggled(TRIGGERS, filters.triggers, t, e.target.checked) })}
            />
            {TRIGGER_LABELS[t]}
          </label>
        ))}
      </fieldset>
      <div className="filter-selects">
        <label>
          <span>Automation</span>
          <select value={automationId ?? ""} onChange={(e) => onAutomation(e.target.value || null)}>
            <option value="">All automations</option>
            {automations.map((a) => (
              <option key={a.id} value={a.id}>
                {a.title}
              </option>
            ))}
            {/* A deleted automation's runs can still be linked to. */}
            {automationId && !automations.some((a) => a.id === automationId) && (
              <option value={automationId}>Deleted automation</option>
            )}
          </select>
        </label>
        <label>
          <span>When</span>
          <select value={filters.range} onChange={(e) => set({ range: e.target.value as Range })}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {filters.range === "custom" && (
          <>
            <label>
              <span>From</span>
              <input type="date" value={filters.from} aria-invalid={backwards || undefined} onChange={(e) => set({ from: e.target.value })} />
            </label>
            <label>
              <span>To</span>
              <input type="date" value={filters.to} aria-invalid={backwards || undefined} onChange={(e) => set({ to: e.target.value })} />
            </label>
          </>
        )}
        {isFiltered(filters) && (
          <button type="button" className="link" onClick={() => onChange(NO_FILTERS)}>
            Clear filters
          </button>
        )}
      </div>
      {backwards && (
        <p className="field-error filter-error" role="alert">
          The start date is after the end date.
        </p>
      )}
    </div>
  );
}
