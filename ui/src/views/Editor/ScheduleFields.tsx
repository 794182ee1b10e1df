import type { ValidationDetail } from "../../api";
import { Field } from "../../components/Field";
import type { Form } from "./form";
import { WEEK } from "./schedule";
import "./schedule.css";

type Errors = (...fields: string[]) => ValidationDetail[];

interface Props {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
}

const PRESETS = [
  { label: "Every weekday at 09:00", expression: "0 9 * * 1-5" },
  { label: "Every day at 02:00", expression: "0 2 * * *" },
  { label: "Every Monday at 09:00", expression: "0 9 * * 1" },
];

/** The fields of the chosen kind of schedule (not the time zone, shared by all). */
export function ScheduleFields({ form, update, errors }: Props) {
  // The builder's kinds are cron underneath: the engine's word on the expression goes beside them.
  const expressionErrors = errors("trigger.expression");
  switch (form.triggerKind) {
    case "manual":
      return null;
    case "interval":
      return (
        <Field label="Every" htmlFor="trigger-every" errors={errors("trigger.every_ms")}>
          <div className="inline">
            <input
              id="trigger-every"
              type="number"
              min={1}
              value={form.intervalEvery}
              onChange={(e) => update({ intervalEvery: e.target.value })}
            />
            <select
              aria-label="Interval unit"
              value={form.intervalUnit}
              onChange={(e) => update({ intervalUnit: e.target.value as Form["intervalUnit"] })}
            >
              <option value="minutes">minutes</option>
              <option value="hours">hours</option>
            </select>
          </div>
        </Field>
      );
    case "hourly":
      return (
        <Field
          label="At minute"
          htmlFor="trigger-minute"
          errors={expressionErrors}
          help="Minutes past each hour, 0 to 59."
        >
          <input
            id="trigger-minute"
            data-testid="trigger-minute"
            type="number"
            min={0}
            max={59}
            value={form.hourlyMinute}
            onChange={(e) => update({ hourlyMinute: e.target.value })}
          />
        </Field>
      );
    case "daily":
      return <TimeField form={form} update={update} errors={expressionErrors} />;
    case "weekdays":
      return (
        <>
          <DayChips days={form.weekDays} onChange={(weekDays) => update({ weekDays })} />
          <TimeField form={form} update={update} errors={expressionErrors} />
        </>
      );
    case "weekly":
      return (
        <div className="grid-2">
          <Field label="On" htmlFor="trigger-day">
            <select
              id="trigger-day"
              data-testid="trigger-day"
              value={form.weekDay}
              onChange={(e) => update({ weekDay: Number(e.target.value) })}
            >
              {WEEK.map((d) => (
                <option key={d.day} value={d.day}>
                  {d.name}
                </option>
              ))}
            </select>
          </Field>
          <TimeField form={form} update={update} errors={expressionErrors} />
        </div>
      );
    case "once":
      return (
        <Field label="Run at" htmlFor="trigger-fire-at" errors={errors("trigger.fire_at")}>
          <input
            id="trigger-fire-at"
            data-testid="trigger-fire-at"
            type="datetime-local"
            value={form.onceAt}
            onChange={(e) => update({ onceAt: e.target.value })}
          />
        </Field>
      );
    case "cron":
      return <CronFields form={form} update={update} errors={errors} />;
  }
}

function TimeField({ form, update, errors }: { form: Form; update: Props["update"]; errors: ValidationDetail[] }) {
  return (
    <Field
      label="At"
      htmlFor="trigger-time"
      errors={errors}
      help={form.atTime.trim() === "" ? "Choose a time of day." : undefined}
    >
      <input
        id="trigger-time"
        data-testid="trigger-time"
        type="time"
        value={form.atTime}
        onChange={(e) => update({ atTime: e.target.value })}
      />
    </Field>
  );
}

/** Monday to Sunday as toggle buttons; the days are cron numbers. */
function DayChips({ days, onChange }: { days: number[]; onChange: (days: number[]) => void }) {
  const toggle = (day: number) =>
    onChange(days.includes(day) ? days.filter((d) => d !== day) : [...days, day].sort((a, b) => a - b));
  return (
    <div className="field">
      <span id="trigger-days-label">Days</span>
      <div className="day-chips" role="group" aria-labelledby="trigger-days-label">
        {WEEK.map((d) => (
          <button
            key={d.day}
            type="button"
            className="day-chip"
            data-testid={`day-chip-${d.short.toLowerCase()}`}
            aria-pressed={days.includes(d.day)}
            aria-label={d.name}
            onClick={() => toggle(d.day)}
          >
            {d.short}
          </button>
        ))}
      </div>
      {days.length === 0 && <div className="help warn-text">Choose at least one day.</div>}
    </div>
  );
}

function CronFields({ form, update, errors }: Props) {
  const preset = PRESETS.find((p) => p.expression === form.cronExpression.trim());
  return (
    <>
      <Field label="Preset" htmlFor="trigger-preset">
        <select
          id="trigger-preset"
          value={preset?.expression ?? ""}
          onChange={(e) => e.target.value && update({ cronExpression: e.target.value })}
        >
          <option value="">Custom expression</option>
          {PRESETS.map((p) => (
            <option key={p.expression} value={p.expression}>
              {p.label}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Cron expression"
        htmlFor="trigger-expression"
        errors={errors("trigger.expression")}
        help="Five fields: minute hour day-of-month month day-of-week."
      >
        <input
          id="trigger-expression"
          data-testid="trigger-expression"
          className="mono"
          value={form.cronExpression}
          spellCheck={false}
          onChange={(e) => update({ cronExpression: e.target.value })}
        />
      </Field>
    </>
  );
}
