// The schedule builder's vocabulary: the friendly shapes a cron expression can take
// (hourly, daily, chosen weekdays, weekly), read from and written as five-field cron, and
// wall-clock times in a chosen time zone for one-shot triggers.

/** A cron expression the builder can show without the expression itself. */
export type Friendly =
  | { kind: "hourly"; minute: number }
  | { kind: "daily"; hour: number; minute: number }
  /** `days` in cron numbering (Sunday 0), ascending, at least one. */
  | { kind: "weekdays"; hour: number; minute: number; days: number[] }
  | { kind: "weekly"; hour: number; minute: number; day: number };

/** The week as people read it here, Monday first; `day` is cron's number (Sunday 0). */
export const WEEK = [
  { day: 1, short: "Mon", name: "Monday" },
  { day: 2, short: "Tue", name: "Tuesday" },
  { day: 3, short: "Wed", name: "Wednesday" },
  { day: 4, short: "Thu", name: "Thursday" },
  { day: 5, short: "Fri", name: "Friday" },
  { day: 6, short: "Sat", name: "Saturday" },
  { day: 0, short: "Sun", name: "Sunday" },
] as const;

const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function number(field: string, min: number, max: number): number | null {
  if (!/^\d{1,2}$/.test(field)) return null;
  const n = Number(field);
  return n >= min && n <= max ? n : null;
}

/** A day-of-week token: 0-7 (both ends Sunday) or SUN..SAT. */
function dayToken(token: string): number | null {
  const n = number(token, 0, 7);
  if (n !== null) return n;
  const named = DAY_NAMES.indexOf(token.toUpperCase());
  return named >= 0 ? named : null;
}

/** The days a plain day-of-week field names (lists and ranges); null for steps, `L`, `#`... */
function daysOf(field: string): number[] | null {
  const days = new Set<number>();
  for (const part of field.split(",")) {
    const [from, to, ...rest] = part.split("-");
    if (rest.length) return null;
    const a = dayToken(from);
    const b = to === undefined ? a : dayToken(to);
    if (a === null || b === null || a > b) return null;
    for (let d = a; d <= b; d++) days.add(d % 7);
  }
  return [...days].sort((x, y) => x - y);
}

/**
 * The friendly shape of `expression`, or null when the builder cannot express it (steps,
 * day-of-month, months, several hours...): such an expression stays in Advanced as written.
 * Reads what the engine's own description reads, so the two agree.
 */
export function friendlyFromCron(expression: string): Friendly | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [min, hr, dom, month, dow] = fields;
  const any = (f: string) => f === "*" || f === "?";
  if (!any(month) || !any(dom)) return null;
  const minute = number(min, 0, 59);
  if (minute === null) return null;
  if (any(hr) && any(dow)) return { kind: "hourly", minute };
  const hour = number(hr, 0, 23);
  if (hour === null) return null;
  if (any(dow)) return { kind: "daily", hour, minute };
  const days = daysOf(dow);
  if (!days) return null;
  if (days.length === 7) return { kind: "daily", hour, minute };
  if (days.length === 1) return { kind: "weekly", hour, minute, day: days[0] };
  return { kind: "weekdays", hour, minute, days };
}

/** Days as a cron field: runs of three or more as ranges (`1-5`), the rest listed (`1,3,5`). */
export function dayField(days: readonly number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b);
  if (sorted.length === 7) return "*";
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(",");
}

/** The cron expression for a friendly shape: daily 09:30 is `30 9 * * *`. */
export function cronFromFriendly(f: Friendly): string {
  switch (f.kind) {
    case "hourly":
      return `${f.minute} * * * *`;
    case "daily":
      return `${f.minute} ${f.hour} * * *`;
    case "weekdays":
      return `${f.minute} ${f.hour} * * ${dayField(f.days)}`;
    case "weekly":
      return `${f.minute} ${f.hour} * * ${dayField([f.day])}`;
  }
}

/** Whether two expressions fire at the same times by the builder's reading. */
export function sameFriendly(a: string, b: string): boolean {
  const fa = friendlyFromCron(a);
  const fb = friendlyFromCron(b);
  return fa !== null && fb !== null && cronFromFriendly(fa) === cronFromFriendly(fb);
}

/** `09:05` for a time input. */
export function timeText(hour: number, minute: number): string {
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/** Hour and minute of a time input's value, or null when it is empty or malformed. */
export function parseTime(text: string): { hour: number; minute: number } | null {
  const m = /^(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  return hour <= 23 && minute <= 59 ? { hour, minute } : null;
}

// ---------------------------------------------------------------------------------------
// Wall-clock times in a zone (the one-shot trigger is an instant; people pick a local time)

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `ms` in `zone` as [year, month, day, hour, minute, second]; throws on an unknown zone. */
function wallParts(ms: number, zone: string): number[] {
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return [get("year"), get("month"), get("day"), get("hour") % 24, get("minute"), get("second")];
}

const DAY = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A `datetime-local` value: the wall clock of an RFC 3339 instant in `zone` (seconds only
 * when there are some, so none are lost). The browser's zone when `zone` is unknown.
 */
export function wallClockIn(iso: string, zone: string): string {
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  let p: number[];
  try {
    p = wallParts(ms, zone);
  } catch {
    const d = new Date(ms);
    p = [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  }
  const [y, mo, d, h, mi, s] = p;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}${s ? `:${pad(s)}` : ""}`;
}

/**
 * The instant a `datetime-local` value names in `zone`, as RFC 3339 UTC. A time skipped by
 * a daylight-saving change moves forward by the change; a repeated one takes the first.
 * What does not parse goes as typed, so the engine names the field.
 */
export function instantIn(wall: string, zone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall.trim());
  if (!m) return wall;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  let ms: number;
  try {
    const wallAsUtc = (at: number) => {
      const [py, pmo, pd, ph, pmi, ps] = wallParts(at, zone);
      return Date.UTC(py, pmo - 1, pd, ph, pmi, ps);
    };
    // The zone's offsets a day either side cover any transition near this time.
    const candidates = [-DAY, 0, DAY].map((dt) => asUtc - (wallAsUtc(asUtc + dt) - (asUtc + dt)));
    const valid = candidates.filter((c) => wallAsUtc(c) === asUtc);
    ms = valid.length ? Math.min(...valid) : Math.max(...candidates);
  } catch {
    ms = new Date(y, mo - 1, d, h, mi, s).getTime();
  }
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** The IANA zones this system knows, for the time zone select. */
export const TIME_ZONES: readonly string[] =
  typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
