import type { ValidationDetail } from "../../api";
import { errorText } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import { formatDateTime } from "../../format";
import { useSchedulePreview } from "../../hooks";
import { formStop, formTrigger, type Form, type TriggerKind } from "./form";

const PRESETS = [
  { label: "Every weekday at 09:00", expression: "0 9 * * 1-5" },
  { label: "Every day at 02:00", expression: "0 2 * * *" },
  { label: "Every Monday at 09:00", expression: "0 9 * * 1" },
];

const TIME_ZONES: readonly string[] =
  typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

type Errors = (...fields: string[]) => ValidationDetail[];

export function TriggerSection({
  form,
  update,
  errors,
}: {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
}) {
  const recurring = form.triggerKind === "interval" || form.triggerKind === "cron";
  const preset = PRESETS.find((p) => p.expression === form.cronExpression.trim());
  return (
    <fieldset className="section">
      <legend>When it runs</legend>
      <Field label="Trigger" htmlFor="trigger-kind" errors={errors("trigger", "trigger.kind")}>
        <select
          id="trigger-kind"
          data-testid="trigger-kind"
          value={form.triggerKind}
          onChange={(e) => update({ triggerKind: e.target.value as TriggerKind })}
        >
          <option value="manual">Manually (Run now only)</option>
          <option value="once">Once, at a set time</option>
          <option value="interval">Every N minutes or hours</option>
          <option value="cron">On a schedule (cron)</option>
        </select>
      </Field>

      {form.triggerKind === "once" && (
        <Field label="Run at" htmlFor="trigger-fire-at" errors={errors("trigger.fire_at")}>
          <input
            id="trigger-fire-at"
            type="datetime-local"
            value={form.onceAt}
            onChange={(e) => update({ onceAt: e.target.value })}
          />
        </Field>
      )}

      {form.triggerKind === "interval" && (
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
      )}

      {form.triggerKind === "cron" && (
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
              className="mono"
              value={form.cronExpression}
              spellCheck={false}
              onChange={(e) => update({ cronExpression: e.target.value })}
            />
          </Field>
          <Field label="Time zone" htmlFor="trigger-timezone" errors={errors("trigger.timezone")}>
            <input
              id="trigger-timezone"
              list="time-zones"
              value={form.cronTimezone}
              spellCheck={false}
              onChange={(e) => update({ cronTimezone: e.target.value })}
            />
          </Field>
          <datalist id="time-zones">
            {TIME_ZONES.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </>
      )}

      {recurring && <StopFields form={form} update={update} errors={errors} />}
      {form.triggerKind !== "manual" && <CatchUpFields form={form} update={update} errors={errors} />}
      {form.triggerKind !== "manual" && <Preview form={form} />}
    </fieldset>
  );
}

function StopFields({ form, update, errors }: { form: Form; update: (p: Partial<Form>) => void; errors: Errors }) {
  return (
    <>
      <Field label="Stop" htmlFor="stop-kind" errors={errors("stop", "stop.kind")}>
        <select
          id="stop-kind"
          value={form.stopKind}
          onChange={(e) => update({ stopKind: e.target.value as Form["stopKind"] })}
        >
          <option value="never">Never</option>
          <option value="after_runs">After a number of runs</option>
          <option value="until">At a date</option>
        </select>
      </Field>
      {form.stopKind === "after_runs" && (
        <Field label="Number of runs" htmlFor="stop-count" errors={errors("stop.count")}>
          <input
            id="stop-count"
            type="number"
            min={1}
            value={form.stopCount}
            onChange={(e) => update({ stopCount: e.target.value })}
          />
        </Field>
      )}
      {form.stopKind === "until" && (
        <Field label="Last run before" htmlFor="stop-until" errors={errors("stop.at")}>
          <input
            id="stop-until"
            type="datetime-local"
            value={form.stopUntil}
            onChange={(e) => update({ stopUntil: e.target.value })}
          />
        </Field>
      )}
    </>
  );
}

/** What fires missed while the app was closed or the machine slept do. */
function CatchUpFields({ form, update, errors }: { form: Form; update: (p: Partial<Form>) => void; errors: Errors }) {
  return (
    <div className="grid-2">
      <Field
        label="Missed fires"
        htmlFor="field-catch-up"
        errors={errors("catch_up")}
        help="When the app was closed or the computer slept at fire time."
      >
        <select
          id="field-catch-up"
          value={form.catchUp}
          onChange={(e) => update({ catchUp: e.target.value as Form["catchUp"] })}
        >
          <option value="once">Catch up once (the latest missed fire runs)</option>
          <option value="skip">Skip (record them, run nothing)</option>
        </select>
      </Field>
      {form.catchUp === "once" && (
        <Field
          label="Catch up fires up to (hours old)"
          htmlFor="field-catch-up-max-age"
          errors={errors("catch_up_max_age_hours")}
          help="Older missed fires are only recorded. 1 to 8760."
        >
          <input
            id="field-catch-up-max-age"
            type="number"
            min={1}
            value={form.catchUpMaxAgeHours}
            onChange={(e) => update({ catchUpMaxAgeHours: e.target.value })}
          />
        </Field>
      )}
    </div>
  );
}

/** The next five fires as the engine computes them, refreshed as the user types. */
function Preview({ form }: { form: Form }) {
  const preview = useSchedulePreview(formTrigger(form), formStop(form), 5, 300);
  return (
    <div className="preview" aria-live="polite" data-testid="schedule-preview">
      {preview.status === "loading" && <span className="muted">Computing the next runs…</span>}
      {preview.status === "error" && (
        <FieldErrors errors={[{ field: "trigger", message: "invalid_schedule", hint: errorText(preview.error) }]} />
      )}
      {preview.status === "ok" && (
        <>
          <div className="preview-description">{preview.preview.description}</div>
          {preview.preview.fires.length > 0 && <div className="help">Next runs, in your local time:</div>}
          {preview.preview.fires.length === 0 ? (
            <div className="muted">It will not run again.</div>
          ) : (
            <ol className="fires" aria-label="Next runs, in your local time">
              {preview.preview.fires.map((f) => (
                <li key={f}>{formatDateTime(f)}</li>
              ))}
            </ol>
          )}
        </>
      )}
    </div>
  );
}
