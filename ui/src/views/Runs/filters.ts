// The Runs view's filters: read from and written to the URL's query, turned into the
// engine's RunQuery, and matched against runs arriving by events.
import type { Run, RunQuery, RunState, RunTrigger } from "../../api";

export const STATES: readonly RunState[] = ["queued", "running", "awaiting_input", "succeeded", "failed", "stopped"];
export const TRIGGERS: readonly RunTrigger[] = ["manual", "schedule", "catch_up"];
export const TRIGGER_LABELS: Record<RunTrigger, string> = { manual: "Manual", schedule: "Schedule", catch_up: "Catch-up" };

export type Range = "any" | "today" | "7d" | "30d" | "custom";
export const RANGES: { id: Range; label: string }[] = [
  { id: "any", label: "Any time" },
  { id: "today", label: "Today" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
  { id: "custom", label: "From … to …" },
];

export interface RunFilters {
  states: RunState[];
  triggers: RunTrigger[];
  range: Range;
  /** Custom range, local days `YYYY-MM-DD`, both included; empty when open. */
  from: string;
  to: string;
}

export const NO_FILTERS: RunFilters = { states: [], triggers: [], range: "any", from: "", to: "" };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function listOf<T extends string>(text: string | undefined, known: readonly T[]): T[] {
  const wanted = new Set((text ?? "").split(","));
  // In the known order: the same filters always read the same.
  return known.filter((k) => wanted.has(k));
}

/** `?state=failed,stopped&trigger=schedule&range=7d` -> filters; unknown values are dropped. */
export function filtersFromQuery(query: Readonly<Record<string, string>> = {}): RunFilters {
  const range = RANGES.some((r) => r.id === query.range) ? (query.range as Range) : "any";
  return {
    states: listOf(query.state, STATES),
    triggers: listOf(query.trigger, TRIGGERS),
    range,
    from: range === "custom" && DAY.test(query.from ?? "") ? query.from : "",
    to: range === "custom" && DAY.test(query.to ?? "") ? query.to : "",
  };
}

/** The inverse of `filtersFromQuery`, leaving out what is not narrowed. */
export function filtersToQuery(f: RunFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.states.length > 0) q.state = f.states.join(",");
  if (f.triggers.length > 0) q.trigger = f.triggers.join(",");
  if (f.range !== "any") q.range = f.range;
  if (f.range === "custom" && f.from) q.from = f.from;
  if (f.range === "custom" && f.to) q.to = f.to;
  return q;
}

export function isFiltered(f: RunFilters): boolean {
  return Object.keys(filtersToQuery(f)).length > 0;
}

/** Local midnight of `YYYY-MM-DD`, `days` days later. */
function localDay(day: string, days = 0): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + days);
}

function startOfToday(now: Date, daysBack: number): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysBack);
}

/** The queued-at window, as instants: days are the user's, counted in local time. */
export function timeWindow(f: RunFilters, now = new Date()): { since: string | null; until: string | null } {
  switch (f.range) {
    case "any":
      return { since: null, until: null };
    case "today":
      return { since: startOfToday(now, 0).toISOString(), until: null };
    case "7d":
      return { since: startOfToday(now, 6).toISOString(), until: null };
    case "30d":
      return { since: startOfToday(now, 29).toISOString(), until: null };
    case "custom":
      return {
        since: f.from ? localDay(f.from).toISOString() : null,
        until: f.to ? localDay(f.to, 1).toISOString() : null,
      };
  }
}

/** A custom range that ends before it starts. */
export function rangeBackwards(f: RunFilters): boolean {
  return f.range === "custom" && f.from !== "" && f.to !== "" && f.from > f.to;
}

export function toRunQuery(f: RunFilters, automationId: string | null, window: ReturnType<typeof timeWindow>): RunQuery {
  return {
    automation_id: automationId,
    states: f.states,
    triggers: f.triggers,
    since: window.since,
    until: window.until,
  };
}

/** Whether `run` belongs in the list: what the engine would have returned for the query. */
export function matchesQuery(run: Run, q: RunQuery): boolean {
  if (q.automation_id && run.automation_id !== q.automation_id) return false;
  if (q.states && q.states.length > 0 && !q.states.includes(run.state)) return false;
  if (q.triggers && q.triggers.length > 0 && !q.triggers.includes(run.trigger)) return false;
  const at = Date.parse(run.queued_at);
  if (q.since && at < Date.parse(q.since)) return false;
  if (q.until && at >= Date.parse(q.until)) return false;
  return true;
}
