import type { ValidationDetail } from "../../api";
import { errorText } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import { formatDateTime } from "../../format";
import { useSchedulePreview } from "../../hooks";
import { formStop, formTrigger, isRecurring, switchSchedule, type Form, type TriggerKind } from "./form";
import { TIME_ZONES } from "./schedule";
import { ScheduleFields } from "./ScheduleFields";

type Errors = (...fields: string[]) => ValidationDetail[];

/** The builder's choices, by how often; Advanced (cron) last. The values are the form's kinds. */
const KINDS: { kind: TriggerKind; label: string }[] = [
  { kind: "manual", label: "Manually (Run now only)" },
  { kind: "interval", label: "Every few minutes or hours" },
  { kind: "hourly", label: "Every hour" },
  { kind: "daily", label: "Every day" },
  { kind: "weekdays", label: "On chosen days of the week" },
  { kind: "weekly", label: "Once a week" },
  { kind: "once", label: "Once, at a date and time" },
  { kind: "cron", label: "Advanced (cron)" },
];

export function TriggerSection({
  form,
  update,
  errors,
}: {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
}) {
  const kind = form.triggerKind;
  // An interval counts from its start, whatever the zone: only clock times have one.
  const zoned = kind !== "manual" && kind !== "interval";
  return (
    <fieldset className="section">
      <legend>When it runs</legend>
      <Field label="How often" htmlFor="trigger-kind" errors={errors("trigger", "trigger.kind")}>
        <select
          id="trigger-kind"
          data-testid="trigger-kind"
          value={kind}
          onChange={(e) => update(switchSchedule(form, e.target.value as TriggerKind))}
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      <ScheduleFields form={form} update={update} errors={errors} />
      {zoned && <TimeZoneField form={form} update={update} errors={errors} />}
      {isRecurring(kind) && <StopFields form={form} update={update} errors={errors} />}
      {kind !== "manual" && <CatchUpFields form={form} update={update} errors={errors} />}
      {kind !== "manual" && <Preview form={form} />}
    </fieldset>
  );
}

// Built once: the editor re-renders on every keystroke, and there are some 400 zones.
const ZONE_OPTIONS = TIME_ZONES.map((z) => (
  <option key={z} value={z}>
    {z.replace(/_/g, " ")}
  </option>
));

/** The zone the clock times are read in; one the system does not list is kept and shown. */
function TimeZoneField({ form, update, errors }: { form: Form; update: (p: Partial<Form>) => void; errors: Errors }) {
  const zone = form.cronTimezone;
  const listed = TIME_ZONES.includes(zone);
  return (
    <Field label="Time zone" htmlFor="trigger-timezone" errors={errors("trigger.timezone")}>
      <select
        id="trigger-timezone"
        data-testid="trigger-timezone"
        value={zone}
        onChange={(e) => update({ cronTimezone: e.target.value })}
      >
        {!listed && <option value={zone}>{zone || "(none)"}</option>}
        {ZONE_OPTIONS}
      </select>
    </Field>
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
  // A row that wraps, not two equal columns: the select's long options need their width.
  return (
    <div className="field-row">
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
