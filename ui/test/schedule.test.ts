import { describe, expect, it } from "vitest";
import type { Trigger } from "../src/api";
import { formFromAutomation, formTrigger, switchSchedule, type Form } from "../src/views/Editor/form";
import { cronFromFriendly, dayField, friendlyFromCron, instantIn, wallClockIn } from "../src/views/Editor/schedule";
import { automation } from "./backend";

const load = (trigger: Trigger): Form => formFromAutomation(automation({ trigger }));
const cron = (expression: string, timezone = "Europe/Berlin"): Trigger => ({ kind: "cron", expression, timezone });

describe("schedule builder: form <-> trigger", () => {
  it.each([
    ["manual", { kind: "manual" }],
    ["interval", { kind: "interval", every_ms: 15 * 60_000 }],
    ["interval", { kind: "interval", every_ms: 2 * 3_600_000 }],
    ["interval", { kind: "interval", every_ms: 90_000 }],
    ["hourly", cron("15 * * * *")],
    ["daily", cron("30 9 * * *", "America/New_York")],
    ["weekdays", cron("0 8 * * 1,3,5")],
    ["weekdays", cron("30 8 * * 1-5", "Asia/Tokyo")],
    ["weekly", cron("0 9 * * 1")],
    ["weekly", cron("45 23 * * 0")],
    ["once", { kind: "once", fire_at: "2030-06-01T07:30:00Z" }],
    ["once", { kind: "once", fire_at: "2030-06-01T07:30:15Z" }],
    ["cron", cron("*/15 9-17 * * 1-5")],
  ] as [Form["triggerKind"], Trigger][])("opens %s for %j and gives the same trigger back", (kind, trigger) => {
    const form = load(trigger);
    expect(form.triggerKind).toBe(kind);
    expect(formTrigger(form)).toEqual(trigger);
  });

  it("shows the time, days and zone of a friendly cron in the builder's fields", () => {
    const form = load(cron("5 7 * * 2,4", "Asia/Tokyo"));
    expect(form).toMatchObject({ triggerKind: "weekdays", atTime: "07:05", weekDays: [2, 4], cronTimezone: "Asia/Tokyo" });
    expect(load(cron("0 9 * * 5"))).toMatchObject({ triggerKind: "weekly", weekDay: 5, atTime: "09:00" });
    expect(load(cron("40 * * * *"))).toMatchObject({ triggerKind: "hourly", hourlyMinute: "40" });
  });

  it.each([
    "*/15 * * * *", // steps
    "0 9 1 * *", // a day of the month
    "0 9 * 1 *", // a month
    "0 9,17 * * *", // two hours
    "0 9 * * 1#2", // the second Monday
    "0 0 L * *",
    "0 9 * * 5-1", // a backwards range
    "0 9 * * * *", // six fields
    "not cron at all",
  ])("keeps %s in Advanced, untouched", (expression) => {
    const form = load(cron(expression));
    expect(form.triggerKind).toBe("cron");
    expect(form.cronExpression).toBe(expression);
    expect(formTrigger(form)).toEqual(cron(expression));
  });

  it("sends an expression back as it was written while the builder shows the same schedule", () => {
    const form = load(cron("00 09 * * MON-FRI"));
    expect(form).toMatchObject({ triggerKind: "weekdays", weekDays: [1, 2, 3, 4, 5], atTime: "09:00" });
    expect(formTrigger({ ...form, cronTimezone: "UTC" })).toEqual(cron("00 09 * * MON-FRI", "UTC"));
    // Changed: the builder writes its own expression.
    expect(formTrigger({ ...form, atTime: "10:15" })).toEqual(cron("15 10 * * 1-5"));
    expect(formTrigger({ ...form, weekDays: [1, 3, 5] })).toEqual(cron("0 9 * * 1,3,5"));
  });

  it("builds daily, hourly, weekly and chip expressions from the fields", () => {
    const base = load({ kind: "manual" });
    expect(formTrigger({ ...base, triggerKind: "daily", atTime: "09:30" })).toMatchObject({ expression: "30 9 * * *" });
    expect(formTrigger({ ...base, triggerKind: "hourly", hourlyMinute: "5" })).toMatchObject({ expression: "5 * * * *" });
    expect(formTrigger({ ...base, triggerKind: "weekly", weekDay: 0, atTime: "18:00" })).toMatchObject({
      expression: "0 18 * * 0",
    });
    expect(formTrigger({ ...base, triggerKind: "weekdays", weekDays: [5, 1, 3], atTime: "08:00" })).toMatchObject({
      expression: "0 8 * * 1,3,5",
    });
  });

  it("sends no expression while the builder is incomplete, so the engine names the field", () => {
    const base = load({ kind: "manual" });
    expect(formTrigger({ ...base, triggerKind: "weekdays", weekDays: [] })).toMatchObject({ expression: "" });
    expect(formTrigger({ ...base, triggerKind: "daily", atTime: "" })).toMatchObject({ expression: "" });
    expect(formTrigger({ ...base, triggerKind: "hourly", hourlyMinute: "75" })).toMatchObject({ expression: "" });
  });

  it("Advanced starts from the builder's expression, and the builder picks up an Advanced one it can show", () => {
    const daily = { ...load({ kind: "manual" }), triggerKind: "daily" as const, atTime: "06:45" };
    expect(switchSchedule(daily, "cron")).toEqual({ triggerKind: "cron", cronExpression: "45 6 * * *" });
    const advanced = { ...daily, ...switchSchedule(daily, "cron"), cronExpression: "0 7 * * 6,0" };
    const back = { ...advanced, ...switchSchedule(advanced, "weekdays") };
    expect(back).toMatchObject({ triggerKind: "weekdays", weekDays: [0, 6], atTime: "07:00" });
    expect(formTrigger(back)).toMatchObject({ expression: "0 7 * * 6,0" });
  });
});

describe("cron shapes", () => {
  it("writes days as ranges when three or more follow each other", () => {
    expect(dayField([1, 2, 3, 4, 5])).toBe("1-5");
    expect(dayField([1, 3, 5])).toBe("1,3,5");
    expect(dayField([0, 1, 2, 4, 6])).toBe("0-2,4,6");
    expect(dayField([0, 1, 2, 3, 4, 5, 6])).toBe("*");
  });

  it("reads days as the engine does: 7 and SUN are Sunday, names and ranges", () => {
    expect(friendlyFromCron("0 9 * * SAT,7")).toEqual({ kind: "weekdays", hour: 9, minute: 0, days: [0, 6] });
    expect(friendlyFromCron("0 9 * * mon-fri")).toEqual({ kind: "weekdays", hour: 9, minute: 0, days: [1, 2, 3, 4, 5] });
    expect(friendlyFromCron("0 9 * * 0-6")).toEqual({ kind: "daily", hour: 9, minute: 0 });
    expect(cronFromFriendly({ kind: "weekly", hour: 9, minute: 0, day: 0 })).toBe("0 9 * * 0");
  });
});

describe("once: a wall clock in a time zone", () => {
  it("reads the time in the chosen zone", () => {
    expect(instantIn("2030-06-01T09:00", "Asia/Tokyo")).toBe("2030-06-01T00:00:00Z");
    expect(instantIn("2030-01-15T09:00", "America/New_York")).toBe("2030-01-15T14:00:00Z");
    expect(wallClockIn("2030-01-15T14:00:00Z", "America/New_York")).toBe("2030-01-15T09:00");
  });

  it("moves a time skipped by daylight saving forward, and takes the first of a repeated one", () => {
    // Berlin skips 02:00-03:00 on 31 March 2030 and repeats 02:00-03:00 on 27 October.
    expect(instantIn("2030-03-31T02:30", "Europe/Berlin")).toBe("2030-03-31T01:30:00Z");
    expect(instantIn("2030-10-27T02:30", "Europe/Berlin")).toBe("2030-10-27T00:30:00Z");
  });

  it("passes what does not parse through, for the engine to name", () => {
    expect(instantIn("", "UTC")).toBe("");
    expect(instantIn("tomorrow", "UTC")).toBe("tomorrow");
  });
});
