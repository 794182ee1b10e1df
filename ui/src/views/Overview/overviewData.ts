// The Overview's figures as the charts and the timeline draw them. Everything here comes
// from the engine (run_stats, upcoming_fires); nothing is counted from loaded runs.
import type { DayStats, UpcomingFire } from "../../api";

/** `YYYY-MM-DD` (a day in the user's zone) as that local date. */
export function dayDate(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d);
}

const shortDay = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const longDay = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

export const dayLabel = (day: string) => shortDay.format(dayDate(day));
export const dayLongLabel = (day: string) => longDay.format(dayDate(day));

/** A day's success rate in percent: succeeded out of succeeded and failed; null without either. */
export function daySuccessRate(d: DayStats): number | null {
  const decided = d.succeeded + d.failed;
  return decided === 0 ? null : Math.round((d.succeeded / decided) * 1000) / 10;
}

export interface Series {
  labels: string[];
  values: (number | null)[];
}

export function costSeries(days: readonly DayStats[]): Series {
  return { labels: days.map((d) => dayLabel(d.day)), values: days.map((d) => Math.round(d.cost_usd * 10000) / 10000) };
}

export function successSeries(days: readonly DayStats[]): Series {
  return { labels: days.map((d) => dayLabel(d.day)), values: days.map(daySuccessRate) };
}

export function formatRate(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 10) / 10}%`;
}

/** One automation's row of the timeline: its fires in the window. */
export interface Lane {
  automationId: string;
  title: string;
  fires: { at: string; offset: number }[];
}

export const HOUR = 3_600_000;

/**
 * The fires grouped by automation, soonest automation first; `offset` is where each fire
 * falls in the window, from 0 (now) to 1 (`hours` later).
 */
export function lanes(fires: readonly UpcomingFire[], start: number, hours: number): Lane[] {
  const span = hours * HOUR;
  const byAutomation = new Map<string, Lane>();
  for (const f of fires) {
    const at = Date.parse(f.at);
    const offset = Math.min(1, Math.max(0, (at - start) / span));
    let lane = byAutomation.get(f.automation_id);
    if (!lane) {
      lane = { automationId: f.automation_id, title: f.title, fires: [] };
      byAutomation.set(f.automation_id, lane);
    }
    lane.fires.push({ at: f.at, offset });
  }
  // Map order is insertion order: the engine sends fires soonest first.
  return [...byAutomation.values()];
}

/** The whole local hours in the window, with their offsets: the axis's ticks. */
export function hourTicks(start: number, hours: number): { at: number; offset: number }[] {
  const first = new Date(start);
  first.setMinutes(0, 0, 0);
  let at = first.getTime() + HOUR;
  const end = start + hours * HOUR;
  const ticks: { at: number; offset: number }[] = [];
  for (; at < end; at += HOUR) ticks.push({ at, offset: (at - start) / (hours * HOUR) });
  return ticks;
}
