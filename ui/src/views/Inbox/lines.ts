import type { Run } from "../../api";
import { formatDateTime } from "../../format";
import { isUnread, type InboxLine, type InboxState, type InboxTab, type MissedFires } from "../../stores/inbox";

/** A line ready to show: a run with its live state, or one automation's missed fires. */
export type Shown = { kind: "run"; run: Run } | MissedFires;

export interface Grouped {
  /** Runs waiting for the user, newest first: always on top, never crowded out. */
  waiting: Run[];
  /** Everything else, newest first. */
  rest: Shown[];
}

const at = (line: Shown) =>
  Date.parse(line.kind === "run" ? (line.run.finished_at ?? line.run.queued_at) : line.last_at);

function belongs(tab: InboxTab, line: Shown, state: InboxState): boolean {
  if (line.kind === "missed_fires") return tab === "all" || tab === "unread";
  switch (tab) {
    case "all":
      return true;
    case "needs_me":
      return line.run.state === "awaiting_input";
    case "failed":
      return line.run.state === "failed";
    case "unread":
      return isUnread(line.run, state);
  }
}

/**
 * What the tab shows: the engine's lines plus the runs kept here, each run in its current
 * state (one answered here leaves the waiting group at once), split into waiting and the rest.
 */
export function groupLines(state: InboxState, all: ReadonlyMap<string, Run>): Grouped {
  const seen = new Set<string>();
  const shown: Shown[] = [];
  const add = (line: InboxLine) => {
    if (line.kind === "missed_fires") return shown.push(line);
    const run = all.get(line.id);
    if (!run || seen.has(run.id)) return;
    seen.add(run.id);
    shown.push({ kind: "run", run });
  };
  state.lines.forEach(add);
  state.kept.forEach((id) => add({ kind: "run", id }));

  const waiting: Run[] = [];
  const rest: Shown[] = [];
  for (const line of shown) {
    if (!belongs(state.tab, line, state)) continue;
    if (line.kind === "run" && line.run.state === "awaiting_input") waiting.push(line.run);
    else rest.push(line);
  }
  // The engine lists the waiting runs newest first already; the rest gains kept runs here.
  rest.sort((a, b) => at(b) - at(a));
  return { waiting, rest };
}

const weekdayTime = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
const WEEK_MS = 6 * 24 * 3600 * 1000;

/** "Mon 02:00 – Wed 02:00"; with the dates when the span is a week or more, one time for one fire. */
export function missedSpan(line: MissedFires): string {
  const first = Date.parse(line.first_at);
  const last = Date.parse(line.last_at);
  const show = (iso: string) =>
    last - first < WEEK_MS ? weekdayTime.format(new Date(iso)) : formatDateTime(iso);
  return line.count === 1 || first === last ? show(line.last_at) : `${show(line.first_at)} – ${show(line.last_at)}`;
}

/** "missed 92 fires while closed": the part of the line after the automation's title. */
export function missedText(line: MissedFires): string {
  return `missed ${line.count} ${line.count === 1 ? "fire" : "fires"} while closed (${missedSpan(line)})`;
}
