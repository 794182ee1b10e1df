import type { ContextMode, Overlap, ValidationDetail } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import type { Form } from "./form";

type Errors = (...fields: string[]) => ValidationDetail[];

export function LimitsFields({
  form,
  update,
  errors,
}: {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
}) {
  const number = (id: string, label: string, key: keyof Form, field: string, help?: string, step = "1") => (
    <Field label={label} htmlFor={id} errors={errors(field)} help={help}>
      <input
        id={id}
        type="number"
        min={0}
        step={step}
        value={form[key] as string}
        onChange={(e) => update({ [key]: e.target.value } as Partial<Form>)}
      />
    </Field>
  );
  return (
    <fieldset className="section">
      <legend>Limits and behaviour</legend>
      <div className="grid-2">
        {number("field-step-cap", "Step cap", "stepCap", "step_cap", "Model calls per run, 1 to 500.")}
        {number(
          "field-failure-streak-limit",
          "Pause after failures",
          "failureStreakLimit",
          "failure_streak_limit",
          "Failed runs in a row that pause the schedule, 1 to 100.",
        )}
        {number("field-timeout", "Timeout (minutes)", "timeoutMinutes", "timeout_minutes", "Empty: no limit.")}
        {number("field-budget", "Budget per run (USD)", "budgetUsd", "budget_usd", "Empty: no limit.", "0.01")}
        {number(
          "field-daily-budget",
          "Daily budget (USD)",
          "dailyBudgetUsd",
          "daily_budget_usd",
          "For all runs of a local day.",
          "0.01",
        )}
        <Field label="Context" htmlFor="field-context" errors={errors("context")}>
          <select
            id="field-context"
            value={form.context}
            onChange={(e) => update({ context: e.target.value as ContextMode })}
          >
            <option value="fresh">A new conversation each run</option>
            <option value="continue">Continue the last one</option>
          </select>
        </Field>
        <Field
          label="When the work area is busy"
          htmlFor="field-overlap"
          errors={errors("overlap")}
          help="Another run is still writing in this directory or worktree. At most one run waits."
        >
          <select
            id="field-overlap"
            value={form.overlap}
            onChange={(e) => update({ overlap: e.target.value as Overlap })}
          >
            <option value="skip">Skip: record it as busy</option>
            <option value="queue">Queue: wait its turn</option>
          </select>
        </Field>
        <Field
          label="Git worktree"
          htmlFor="field-worktree"
          errors={errors("placement", "placement.name")}
          help="Empty: work in the directory itself. A name: a git worktree of its own; each run's changes wait there for you to apply them."
        >
          <input
            id="field-worktree"
            value={form.worktree}
            spellCheck={false}
            onChange={(e) => update({ worktree: e.target.value })}
          />
        </Field>
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={form.waitForInput}
          onChange={(e) => update({ waitForInput: e.target.checked })}
        />
        Wait for my answer when it runs on its schedule (otherwise such a run fails with
        “needs user input”)
      </label>
      <FieldErrors errors={errors("wait_for_input_when_unattended")} />
      <label className="check">
        <input type="checkbox" checked={form.paused} onChange={(e) => update({ paused: e.target.checked })} />
        Paused (the schedule does not fire; Run now still works)
      </label>
      <FieldErrors errors={errors("paused")} />
    </fieldset>
  );
}
