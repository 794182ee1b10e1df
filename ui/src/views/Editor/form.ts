import type {
  AppSettings,
  Automation,
  AutomationSpecInput,
  CatchUp,
  ContextMode,
  Overlap,
  PermissionAction,
  PermissionRuleInput,
  SandboxMode,
  StopCondition,
  Trigger,
  ValidationDetail,
  Variant,
} from "../../api";
import {
  cronFromFriendly,
  friendlyFromCron,
  instantIn,
  parseTime,
  sameFriendly,
  timeText,
  wallClockIn,
  type Friendly,
} from "./schedule";
import { joinWords, splitWords, wordsFromGlob } from "./words";

/**
 * How often it runs, as the schedule builder offers it. `hourly`, `daily`, `weekdays` and
 * `weekly` are cron underneath; `cron` is the Advanced choice, the expression as typed.
 */
export type TriggerKind = "manual" | "interval" | "hourly" | "daily" | "weekdays" | "weekly" | "once" | "cron";

/** The builder's kinds that are a cron expression underneath. */
export function isCronKind(kind: TriggerKind): boolean {
  return kind === "hourly" || kind === "daily" || kind === "weekdays" || kind === "weekly" || kind === "cron";
}

/** Whether the schedule repeats (and so can have a stop condition). */
export const isRecurring = (kind: TriggerKind) => kind !== "manual" && kind !== "once";
export type IntervalUnit = "minutes" | "hours";

/** One permission rule as edited; `key` keeps React rows stable while reordering. */
export interface RuleRow {
  key: number;
  tool: string;
  /** File tools and `*`: the path glob. A legacy bash rule keeps its old glob here. */
  pattern: string;
  /** bash: the command as typed in a shell; split into words on save. */
  command: string;
  /** bash: only exactly these words, not a prefix. */
  exact: boolean;
  action: PermissionAction;
  reason: string;
  /** bash: example commands the rule must (and must not) match, one per line. */
  matching: string;
  notMatching: string;
  /** A bash glob from before command rules: sent back unchanged until converted. */
  legacy: boolean;
}

/** One extra writable path of the sandbox. */
export interface PathRow {
  key: number;
  path: string;
}

/** The editor's state: text as typed, converted to the wire shape only on save. */
export interface Form {
  title: string;
  prompt: string;
  workspace: string;
  /** `provider_id/model_id`, or "" when none is chosen. */
  model: string;
  variant: Variant | "";
  triggerKind: TriggerKind;
  /** Once: a `datetime-local` value, read in `cronTimezone`. */
  onceAt: string;
  intervalEvery: string;
  intervalUnit: IntervalUnit;
  /** Hourly: the minute past each hour. */
  hourlyMinute: string;
  /** Daily, weekdays, weekly: the time of day as a time input gives it (`09:30`). */
  atTime: string;
  /** Weekdays: the chosen days in cron numbering (Sunday 0). */
  weekDays: number[];
  /** Weekly: the day, in cron numbering. */
  weekDay: number;
  /**
   * Advanced: the expression as typed. For the other cron kinds, the expression loaded: it
   * goes back as written while the builder still shows the same schedule.
   */
  cronExpression: string;
  /** The schedule's IANA time zone: the cron kinds, and the wall clock of a once time. */
  cronTimezone: string;
  catchUp: CatchUp;
  catchUpMaxAgeHours: string;
  overlap: Overlap;
  stopKind: StopCondition["kind"];
  stopCount: string;
  stopUntil: string;
  context: ContextMode;
  worktree: string;
  permissions: RuleRow[];
  sandboxMode: SandboxMode;
  sandboxNetwork: boolean;
  sandboxWritable: PathRow[];
  /** More environment variable names commands see, separated by spaces or commas. */
  sandboxEnv: string;
  stepCap: string;
  failureStreakLimit: string;
  timeoutMinutes: string;
  budgetUsd: string;
  dailyBudgetUsd: string;
  waitForInput: boolean;
  paused: boolean;
}

let nextKey = 1;

/**
 * A new rule: `target` is the command as typed for bash (`cargo test`), else the path glob.
 * `more` sets the rest (exact, reason, examples).
 */
export const ruleRow = (
  tool = "bash",
  target = "",
  action: PermissionAction = "ask",
  more: Partial<Omit<RuleRow, "key">> = {},
): RuleRow => ({
  key: nextKey++,
  tool,
  pattern: tool === "bash" ? "" : target,
  command: tool === "bash" ? target : "",
  exact: false,
  action,
  reason: "",
  matching: "",
  notMatching: "",
  legacy: false,
  ...more,
});

export const pathRow = (path = ""): PathRow => ({ key: nextKey++, path });

/** A stored rule as the editor shows it. */
export function rowFromRule(r: PermissionRuleInput): RuleRow {
  const more = {
    reason: r.reason ?? "",
    matching: r.examples?.matching?.join("\n") ?? "",
    notMatching: r.examples?.not_matching?.join("\n") ?? "",
  };
  if (r.tool !== "bash") return ruleRow(r.tool, r.pattern ?? "", r.action, more);
  if (!r.command) return ruleRow("bash", "", r.action, { ...more, pattern: r.pattern ?? "", legacy: true });
  return ruleRow("bash", joinWords(r.command), r.action, { ...more, exact: r.exact ?? false });
}

/** A legacy bash rule as a command rule, starting from the words its glob begins with. */
export function convertLegacy(r: RuleRow): RuleRow {
  return { ...r, legacy: false, command: joinWords(wordsFromGlob(r.pattern)), exact: false };
}

/** Whether this row is a bash glob from before command rules (it matches nothing). */
export const needsEdit = (r: RuleRow) => r.tool === "bash" && r.legacy;

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * The rule in its wire shape: bash rules name `command` words (no `pattern`), file tools a
 * path glob; optional fields only when set. A legacy rule goes back as it came.
 */
export function ruleToWire(r: RuleRow): PermissionRuleInput {
  const reason = r.reason.trim();
  const extra: Partial<PermissionRuleInput> = reason ? { reason } : {};
  if (r.tool !== "bash") return { tool: r.tool, pattern: r.pattern, action: r.action, ...extra };
  const matching = lines(r.matching);
  const notMatching = lines(r.notMatching);
  if (matching.length || notMatching.length) extra.examples = { matching, not_matching: notMatching };
  if (needsEdit(r)) return { tool: "bash", pattern: r.pattern, action: r.action, ...extra };
  return {
    tool: "bash",
    command: splitWords(r.command).words,
    ...(r.exact ? { exact: true } : {}),
    action: r.action,
    ...extra,
  };
}

/**
 * The rules a check can use, with each one's position in the form (the engine numbers the
 * rules it is given). Rules still being typed (no words, no pattern) are left out.
 */
export function checkableRules(rows: readonly RuleRow[]): { rules: PermissionRuleInput[]; positions: number[] } {
  const rules: PermissionRuleInput[] = [];
  const positions: number[] = [];
  rows.forEach((r, i) => {
    const rule = ruleToWire(r);
    const usable = rule.command ? rule.command.length > 0 : !!rule.pattern;
    if (!usable) return;
    rules.push(rule);
    positions.push(i);
  });
  return { rules, positions };
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** `datetime-local` value (local time) for an RFC 3339 instant. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocalInput(value: string): string {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.000Z$/, "Z");
}

export function modelKey(m: { provider_id: string; model_id: string }): string {
  return `${m.provider_id}/${m.model_id}`;
}

export function emptyForm(settings: AppSettings | null): Form {
  return {
    title: "",
    prompt: "",
    workspace: "",
    model: settings?.default_model ? modelKey(settings.default_model) : "",
    variant: "",
    triggerKind: "manual",
    onceAt: "",
    intervalEvery: "60",
    intervalUnit: "minutes",
    hourlyMinute: "0",
    atTime: "09:00",
    weekDays: [1, 2, 3, 4, 5],
    weekDay: 1,
    cronExpression: "0 9 * * 1-5",
    cronTimezone: localTimeZone(),
    stopKind: "never",
    stopCount: "10",
    stopUntil: "",
    context: "fresh",
    worktree: "",
    permissions: [],
    sandboxMode: "enforce",
    sandboxNetwork: false,
    sandboxWritable: [],
    sandboxEnv: "",
    stepCap: String(settings?.default_step_cap ?? 50),
    failureStreakLimit: "3",
    catchUp: "once",
    catchUpMaxAgeHours: "168",
    overlap: "skip",
    timeoutMinutes: "",
    budgetUsd: "",
    dailyBudgetUsd: "",
    waitForInput: false,
    paused: false,
  };
}

export function formFromAutomation(a: Automation): Form {
  const base = emptyForm(null);
  return {
    ...base,
    title: a.title,
    prompt: a.prompt,
    workspace: a.workspace,
    model: modelKey(a.model),
    variant: a.variant ?? "",
    ...scheduleFromTrigger(a.trigger, base),
    stopKind: a.stop.kind,
    stopCount: a.stop.kind === "after_runs" ? String(a.stop.count) : base.stopCount,
    stopUntil: a.stop.kind === "until" ? toLocalInput(a.stop.at) : "",
    context: a.context,
    worktree: a.placement.kind === "worktree" ? a.placement.name : "",
    permissions: a.permissions.map(rowFromRule),
    sandboxMode: a.sandbox.mode,
    sandboxNetwork: a.sandbox.network,
    sandboxWritable: a.sandbox.writable.map((p) => pathRow(p)),
    sandboxEnv: a.sandbox.env.join(" "),
    stepCap: String(a.step_cap),
    failureStreakLimit: String(a.failure_streak_limit),
    catchUp: a.catch_up,
    catchUpMaxAgeHours: String(a.catch_up_max_age_hours),
    overlap: a.overlap,
    timeoutMinutes: a.timeout_minutes?.toString() ?? "",
    budgetUsd: a.budget_usd?.toString() ?? "",
    dailyBudgetUsd: a.daily_budget_usd?.toString() ?? "",
    waitForInput: a.wait_for_input_when_unattended,
    paused: a.paused,
  };
}

/** A number from a field; what does not parse goes as typed so the engine names the field. */
function num(text: string): number {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(n) ? n : (text as unknown as number);
}
const optionalNum = (text: string): number | null => (text.trim() === "" ? null : num(text));

/** The builder's fields for a stored trigger: a cron expression it can show opens friendly. */
function scheduleFromTrigger(t: Trigger, base: Form): Partial<Form> {
  switch (t.kind) {
    case "manual":
      return { triggerKind: "manual" };
    case "once":
      return { triggerKind: "once", onceAt: wallClockIn(t.fire_at, base.cronTimezone) };
    case "interval": {
      const hours = t.every_ms % 3_600_000 === 0;
      return {
        triggerKind: "interval",
        intervalEvery: String(t.every_ms / (hours ? 3_600_000 : 60_000)),
        intervalUnit: hours ? "hours" : "minutes",
      };
    }
    case "cron": {
      const friendly = friendlyFromCron(t.expression);
      return {
        triggerKind: friendly?.kind ?? "cron",
        ...builderFields(friendly),
        cronExpression: t.expression,
        cronTimezone: t.timezone,
      };
    }
  }
}

/** The builder's fields showing `friendly` (nothing when the builder cannot show it). */
function builderFields(friendly: Friendly | null): Partial<Form> {
  if (!friendly) return {};
  const fields: Partial<Form> = { hourlyMinute: String(friendly.minute) };
  if (friendly.kind !== "hourly") fields.atTime = timeText(friendly.hour, friendly.minute);
  if (friendly.kind === "weekdays") fields.weekDays = friendly.days;
  if (friendly.kind === "weekly") fields.weekDay = friendly.day;
  return fields;
}

/** The builder's schedule as a friendly shape, or null while a field is empty or out of range. */
export function formFriendly(f: Form): Friendly | null {
  if (f.triggerKind === "hourly") {
    const text = f.hourlyMinute.trim();
    const minute = Number(text);
    return /^\d+$/.test(text) && minute <= 59 ? { kind: "hourly", minute } : null;
  }
  const time = parseTime(f.atTime);
  if (!time) return null;
  switch (f.triggerKind) {
    case "daily":
      return { kind: "daily", ...time };
    case "weekdays":
      return f.weekDays.length ? { kind: "weekdays", ...time, days: [...f.weekDays].sort((a, b) => a - b) } : null;
    case "weekly":
      return { kind: "weekly", ...time, day: f.weekDay };
    default:
      return null;
  }
}

/**
 * The cron expression of the builder's schedule; "" while incomplete (the engine then names
 * `trigger.expression`, shown beside the builder). An unchanged schedule keeps the
 * expression as it was written (`0 9 * * MON-FRI` does not become `0 9 * * 1-5`).
 */
export function builderCron(f: Form): string {
  if (f.triggerKind === "cron") return f.cronExpression.trim();
  const friendly = formFriendly(f);
  if (!friendly) return "";
  const expression = cronFromFriendly(friendly);
  return sameFriendly(f.cronExpression, expression) ? f.cronExpression.trim() : expression;
}

/**
 * The fields to change when the user picks another kind: Advanced starts from the builder's
 * expression, and the builder picks up an Advanced expression it can show.
 */
export function switchSchedule(f: Form, kind: TriggerKind): Partial<Form> {
  const patch: Partial<Form> = { triggerKind: kind };
  const fromBuilder = isCronKind(f.triggerKind) && f.triggerKind !== "cron";
  if (kind === "cron" && fromBuilder) {
    const expression = builderCron(f);
    if (expression) patch.cronExpression = expression;
  }
  if (f.triggerKind === "cron" && isCronKind(kind) && kind !== "cron") {
    Object.assign(patch, builderFields(friendlyFromCron(f.cronExpression)));
  }
  return patch;
}

export function formTrigger(f: Form): Trigger {
  switch (f.triggerKind) {
    case "manual":
      return { kind: "manual" };
    case "once":
      return { kind: "once", fire_at: instantIn(f.onceAt, f.cronTimezone.trim()) };
    case "interval": {
      const every = Number(f.intervalEvery);
      const unit = f.intervalUnit === "hours" ? 3_600_000 : 60_000;
      return { kind: "interval", every_ms: Number.isFinite(every) ? Math.round(every * unit) : 0 };
    }
    case "hourly":
    case "daily":
    case "weekdays":
    case "weekly":
    case "cron":
      return { kind: "cron", expression: builderCron(f), timezone: f.cronTimezone.trim() };
  }
}

export function formStop(f: Form): StopCondition {
  // Stop conditions belong to recurring triggers only.
  if (!isRecurring(f.triggerKind)) return { kind: "never" };
  switch (f.stopKind) {
    case "never":
      return { kind: "never" };
    case "after_runs":
      return { kind: "after_runs", count: num(f.stopCount) };
    case "until":
      return { kind: "until", at: fromLocalInput(f.stopUntil) };
  }
}

export function toSpec(f: Form): AutomationSpecInput {
  const slash = f.model.indexOf("/");
  return {
    title: f.title.trim(),
    prompt: f.prompt,
    workspace: f.workspace.trim(),
    model:
      slash > 0
        ? { provider_id: f.model.slice(0, slash), model_id: f.model.slice(slash + 1) }
        : { provider_id: "", model_id: "" },
    variant: f.variant === "" ? null : f.variant,
    trigger: formTrigger(f),
    stop: formStop(f),
    context: f.context,
    placement: f.worktree.trim() ? { kind: "worktree", name: f.worktree.trim() } : { kind: "in_place" },
    permissions: f.permissions.map(ruleToWire),
    step_cap: num(f.stepCap),
    failure_streak_limit: num(f.failureStreakLimit),
    catch_up: f.catchUp,
    catch_up_max_age_hours: num(f.catchUpMaxAgeHours),
    overlap: f.overlap,
    timeout_minutes: optionalNum(f.timeoutMinutes),
    budget_usd: optionalNum(f.budgetUsd),
    daily_budget_usd: optionalNum(f.dailyBudgetUsd),
    wait_for_input_when_unattended: f.waitForInput,
    paused: f.paused,
    sandbox: {
      mode: f.sandboxMode,
      network: f.sandboxNetwork,
      writable: writablePaths(f).map((w) => w.path),
      env: envNames(f),
    },
  };
}

/** The environment variable names sent: the text split on spaces and commas. */
export function envNames(f: Form): string[] {
  return f.sandboxEnv.split(/[\s,]+/).filter((name) => name !== "");
}

/** The writable paths sent (blank rows are not), each with its row: errors name the former. */
export function writablePaths(f: Form): { path: string; row: number }[] {
  return f.sandboxWritable
    .map((w, row) => ({ path: w.path.trim(), row }))
    .filter((w) => w.path !== "");
}

/** Whether the form says something other than `start` (in what would be saved). */
export function isEdited(start: Form, form: Form): boolean {
  return JSON.stringify(toSpec(start)) !== JSON.stringify(toSpec(form));
}

/** The top-level fields whose value differs: an update sends only these. */
export function changedFields(base: Form, edited: Form): Partial<AutomationSpecInput> {
  const before = toSpec(base) as unknown as Record<string, unknown>;
  const after = toSpec(edited) as unknown as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) patch[key] = after[key];
  }
  return patch as Partial<AutomationSpecInput>;
}

/** Whether a validation detail is shown next to a widget of this form (else: the summary). */
export function inlineFields(f: Form, hasVariants: boolean): (field: string) => boolean {
  const fields = [
    "title", "prompt", "workspace", "model", "trigger", "trigger.kind", "context", "placement",
    "placement.name", "permissions", "step_cap", "timeout_minutes", "budget_usd",
    "daily_budget_usd", "wait_for_input_when_unattended", "paused",
    "sandbox", "sandbox.mode", "sandbox.network", "sandbox.writable", "sandbox.env",
  ];
  if (hasVariants) fields.push("variant");
  if (f.triggerKind === "once") fields.push("trigger.fire_at");
  if (f.triggerKind === "interval") fields.push("trigger.every_ms");
  if (isCronKind(f.triggerKind)) fields.push("trigger.expression", "trigger.timezone");
  if (isRecurring(f.triggerKind)) {
    fields.push("stop", "stop.kind", "stop.count", "stop.at");
  }
  writablePaths(f).forEach((_, i) => fields.push(`sandbox.writable[${i}]`));
  envNames(f).forEach((_, i) => fields.push(`sandbox.env[${i}]`));
  const set = new Set(fields);
  // A rule shows every detail about itself (its words, examples, reason...).
  return (field) => set.has(field) || (ruleIndex(field) ?? Infinity) < f.permissions.length;
}

/** The rule a detail path is about: 2 for `permissions[2].command[1]`. */
export function ruleIndex(field: string): number | null {
  const m = /^permissions\[(\d+)\](?=$|[.[])/.exec(field);
  return m ? Number(m[1]) : null;
}

/** Details grouped by field path, for `errors.get("title")`. */
export function byField(details: readonly ValidationDetail[]): Map<string, ValidationDetail[]> {
  const map = new Map<string, ValidationDetail[]>();
  for (const d of details) map.set(d.field, [...(map.get(d.field) ?? []), d]);
  return map;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The form for a drafted definition (see `draftAutomation`): every field the draft sets, on
 * top of `base` for the rest. A draft may still be invalid, so nothing is trusted to have its
 * type: a field of the wrong shape keeps `base`'s value and validation names it on Create.
 */
export function formFromDraft(definition: unknown, base: Form): Form {
  const d = isObject(definition) ? definition : {};
  const fallback = toSpec(base);
  const pick = <K extends keyof AutomationSpecInput>(key: K, ok: (v: unknown) => boolean): AutomationSpecInput[K] =>
    (ok(d[key]) ? d[key] : fallback[key]) as AutomationSpecInput[K];
  const text = (v: unknown) => typeof v === "string";
  const sandbox = isObject(d.sandbox) ? d.sandbox : {};
  const merged = {
    ...fallback,
    title: pick("title", text),
    prompt: pick("prompt", text),
    workspace: pick("workspace", text),
    model: pick("model", (v) => isObject(v) && text(v.provider_id) && text(v.model_id)),
    variant: pick("variant", (v) => v === null || text(v)),
    trigger: pick("trigger", (v) => isObject(v) && ["manual", "once", "interval", "cron"].includes(String(v.kind))),
    stop: pick("stop", (v) => isObject(v) && ["never", "after_runs", "until"].includes(String(v.kind))),
    context: pick("context", (v) => v === "fresh" || v === "continue"),
    placement: pick("placement", (v) => isObject(v) && (v.kind === "in_place" || (v.kind === "worktree" && text(v.name)))),
    permissions: pick("permissions", (v) => Array.isArray(v) && v.every((r) => isObject(r) && text(r.tool) && text(r.action))),
    step_cap: pick("step_cap", (v) => typeof v === "number"),
    failure_streak_limit: pick("failure_streak_limit", (v) => typeof v === "number"),
    catch_up: pick("catch_up", (v) => v === "once" || v === "skip"),
    catch_up_max_age_hours: pick("catch_up_max_age_hours", (v) => typeof v === "number"),
    overlap: pick("overlap", (v) => v === "skip" || v === "queue"),
    timeout_minutes: pick("timeout_minutes", (v) => v === null || typeof v === "number"),
    budget_usd: pick("budget_usd", (v) => v === null || typeof v === "number"),
    daily_budget_usd: pick("daily_budget_usd", (v) => v === null || typeof v === "number"),
    wait_for_input_when_unattended: pick("wait_for_input_when_unattended", (v) => typeof v === "boolean"),
    paused: pick("paused", (v) => typeof v === "boolean"),
    sandbox: {
      mode: sandbox.mode === "off" ? "off" : fallback.sandbox.mode,
      network: typeof sandbox.network === "boolean" ? sandbox.network : fallback.sandbox.network,
      writable: Array.isArray(sandbox.writable) && sandbox.writable.every(text) ? (sandbox.writable as string[]) : [],
      env: Array.isArray(sandbox.env) && sandbox.env.every(text) ? (sandbox.env as string[]) : [],
    },
  } as AutomationSpecInput;
  const filled = formFromAutomation(merged as unknown as Automation);
  // A drafted cron keeps its zone; the rest of the form's zone is the user's.
  return { ...filled, cronTimezone: filled.cronTimezone || base.cronTimezone };
}
