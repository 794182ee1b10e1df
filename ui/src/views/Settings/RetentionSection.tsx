import { useEffect, useRef, useState } from "react";
import * as api from "../../api";
import {
  ApiFailure,
  errorText,
  type GcRemoval,
  type GcReport,
  type RetentionPolicy,
  type ValidationDetail,
} from "../../api";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";
import { formatBytes, formatDateTime } from "../../format";
import { notices } from "../../stores/notices";
import "./retention.css";

// Fields are named as the engine's validation details name them, so its errors land next to them.
type Days = "keep_days" | "keep_failed_days";
const FIELDS: readonly Days[] = ["keep_days", "keep_failed_days"];
const MAX_DAYS = 36_500;

/** A field as shown: forever, or a number of days as typed (kept when switched to forever). */
interface Choice {
  forever: boolean;
  text: string;
}
type Choices = Record<Days, Choice>;
type Errors = Partial<Record<string, ValidationDetail[]>>;

function choicesOf(policy: RetentionPolicy): Choices {
  const choice = (days: number | null): Choice => ({ forever: days === null, text: days === null ? "" : String(days) });
  return { keep_days: choice(policy.keep_days), keep_failed_days: choice(policy.keep_failed_days) };
}

/** A choice's days: null for forever, undefined when the text is not a whole number. */
function daysOf(choice: Choice): number | null | undefined {
  if (choice.forever) return null;
  if (choice.text.trim() === "") return undefined;
  const n = Number(choice.text);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * The engine's details, less "below keep_days" while keep_days itself is refused: a
 * comparison with a number of days that cannot be stored says nothing yet.
 */
function fieldDetails(details: readonly ValidationDetail[]): ValidationDetail[] {
  const keepRefused = details.some((d) => d.field === "keep_days");
  return details.filter((d) => !(keepRefused && d.message === "below_keep_days"));
}

const sameChoice = (a: Choice, b: Choice) => a.forever === b.forever && a.text === b.text;
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "312 runs (290 succeeded, 12 failed, 10 stopped), their transcripts and 4 recorded changes". */
function removalText(r: GcRemoval): string {
  const states = (
    [
      [r.succeeded, "succeeded"],
      [r.failed, "failed"],
      [r.stopped, "stopped"],
    ] as const
  ).filter(([n]) => n > 0);
  const runs =
    states.length === 1
      ? `${r.runs} ${states[0][1]} ${r.runs === 1 ? "run" : "runs"}`
      : `${count(r.runs, "run")}${states.length ? ` (${states.map(([n, s]) => `${n} ${s}`).join(", ")})` : ""}`;
  const parts = [
    runs,
    r.messages > 0 || r.sessions > 0 ? (r.runs === 1 ? "its transcript" : "their transcripts") : null,
    r.changes > 0 ? count(r.changes, "recorded change") : null,
    r.originals_dirs > 0 ? count(r.originals_dirs, "folder of saved originals", "folders of saved originals") : null,
  ].filter((p): p is string => p !== null);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** Which runs a preview counts back to, in words. */
function cutoffText(report: GcReport): string | null {
  const { cutoff, failed_cutoff: failed } = report;
  if (cutoff && failed) {
    return `Succeeded and stopped runs that ended before ${formatDateTime(cutoff)}, failed ones before ${formatDateTime(failed)}.`;
  }
  if (cutoff) return `Succeeded and stopped runs that ended before ${formatDateTime(cutoff)}; failed runs are kept.`;
  if (failed) return `Failed runs that ended before ${formatDateTime(failed)}; the others are kept.`;
  return null;
}

/** "12.3 MB freed; the database is now 37.7 MB." — null when the engine did not measure. */
function spaceText(report: GcReport): string | null {
  const { bytes_before: before, bytes_after: after } = report.database;
  if (after === null) return null;
  const freed = before - after;
  return freed > 0
    ? `${formatBytes(freed)} freed; the database is now ${formatBytes(after)}.`
    : `No space freed; the database is ${formatBytes(after)}.`;
}

/** Settings → History: how long finished runs are kept, and a clean-up previewed first. */
export function RetentionSection() {
  const [policy, setPolicy] = useState<RetentionPolicy | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [choices, setChoices] = useState<Choices>({
    keep_days: { forever: true, text: "" },
    keep_failed_days: { forever: true, text: "" },
  });
  const [errors, setErrors] = useState<Errors>({});
  const [preview, setPreview] = useState<GcReport | null>(null);
  const [removed, setRemoved] = useState<GcReport | null>(null);
  const [pending, setPending] = useState<"preview" | "remove" | null>(null);
  const [asking, setAsking] = useState(false);
  // Saves go one after another, each from the policy the one before stored; `typed` is what
  // the fields hold now, for a save that also sends the other field's corrected value.
  const saved = useRef<RetentionPolicy | null>(null);
  const typed = useRef<Choices>(choices);
  const saving = useRef(Promise.resolve());

  useEffect(() => {
    api.getRetention().then(
      (p) => {
        saved.current = p;
        typed.current = choicesOf(p);
        setPolicy(p);
        setChoices(typed.current);
      },
      (e: unknown) => setLoadError(errorText(e)),
    );
  }, []);

  const choose = (field: Days, choice: Choice) => {
    typed.current = { ...typed.current, [field]: choice };
    setChoices(typed.current);
  };

  /** Replaces the errors of `fields` (and of any field `details` name) with `details`. */
  const showErrors = (fields: readonly string[], details: readonly ValidationDetail[]) =>
    setErrors((prev) => {
      const next: Errors = { ...prev };
      for (const f of [...fields, ...details.map((d) => d.field)]) next[f] = [];
      for (const d of details) next[d.field] = [...(next[d.field] ?? []), d];
      return next;
    });

  const saveNow = async (field: Days, choice: Choice) => {
    const current = saved.current;
    if (!current) return;
    const days = daysOf(choice);
    if (days === undefined) {
      const message = choice.text.trim() === "" ? "required" : "days_out_of_range_1_36500";
      return showErrors([field], [{ field, message }]);
    }
    // The other field's value goes along when it was refused before and reads well now (a
    // pair that only fits together, such as 100 and 200 days after 30 and 90).
    const other = FIELDS.find((f) => f !== field) as Days;
    const otherDays = daysOf(typed.current[other]);
    const otherFits = otherDays === null || (otherDays !== undefined && otherDays >= 1 && otherDays <= MAX_DAYS);
    const next: RetentionPolicy = { ...current, [field]: days };
    if (otherFits) next[other] = otherDays;
    const sent = otherFits ? [field, other] : [field];
    if (next.keep_days === current.keep_days && next.keep_failed_days === current.keep_failed_days) {
      return showErrors(sent, []);
    }
    const sentChoices = { [field]: choice, [other]: typed.current[other] } as Choices;
    try {
      const stored = await api.setRetention(next);
      saved.current = stored;
      setPolicy(stored);
      // A preview counted under the old policy no longer says what would go.
      setPreview(null);
      setRemoved(null);
      // Shown as stored, unless the user has typed on in the meantime.
      const shown = choicesOf(stored);
      const now = { ...typed.current };
      for (const f of sent) if (sameChoice(now[f], sentChoices[f])) now[f] = shown[f];
      typed.current = now;
      setChoices(now);
      showErrors(sent, []);
    } catch (e) {
      // What was typed stays in the field, to be corrected rather than typed again.
      if (e instanceof ApiFailure && e.details.length > 0) showErrors(sent, fieldDetails(e.details));
      else notices.error("Could not save how long runs are kept", e);
    }
  };
  const save = (field: Days, choice: Choice) => {
    saving.current = saving.current.then(() => saveNow(field, choice));
  };

  /** Forever, or days: the days typed before, else 30 (failed runs: 90, or the others' days if longer). */
  const pick = (field: Days, forever: boolean) => {
    const before = typed.current[field];
    const fallback = field === "keep_days" ? 30 : Math.max(90, saved.current?.keep_days ?? 0);
    const choice = { forever, text: forever || before.text.trim() !== "" ? before.text : String(fallback) };
    choose(field, choice);
    save(field, choice);
  };

  const runPreview = async () => {
    setPending("preview");
    try {
      setPreview(await api.gcPreview());
      setRemoved(null);
    } catch (e) {
      notices.error("Could not preview the clean-up", e);
    } finally {
      setPending(null);
    }
  };

  const removeNow = async () => {
    if (!preview) return;
    setPending("remove");
    try {
      const report = await api.gcNow(preview.as_of);
      setRemoved(report);
      setPreview(null);
    } catch (e) {
      notices.error("Could not clean up", e);
    } finally {
      setPending(null);
      setAsking(false);
    }
  };

  const field = (name: Days, id: string, label: string, help: string, daysLabel: string) => {
    const choice = choices[name];
    const invalid = (errors[name]?.length ?? 0) > 0;
    return (
      <Field label={label} htmlFor={id} errors={errors[name]} help={help}>
        <div className="retention-choice">
          <select id={id} value={choice.forever ? "forever" : "days"} onChange={(e) => pick(name, e.target.value === "forever")}>
            <option value="forever">Forever</option>
            <option value="days">For a number of days</option>
          </select>
          {!choice.forever && (
            <span className="retention-days">
              <input
                type="number"
                min={1}
                max={MAX_DAYS}
                step={1}
                aria-label={daysLabel}
                value={choice.text}
                aria-invalid={invalid ? true : undefined}
                aria-describedby={invalid ? `${id}-error` : undefined}
                onChange={(e) => choose(name, { forever: false, text: e.target.value })}
                onBlur={(e) => save(name, { forever: false, text: e.target.value })}
              />
              days
            </span>
          )}
        </div>
      </Field>
    );
  };

  const would = preview?.removed;
  return (
    <fieldset className="section retention" disabled={!policy} data-testid="retention">
      <legend>History</legend>
      {loadError && (
        <p className="error-text" role="alert">
          Could not load how long runs are kept: {loadError}
        </p>
      )}
      <p className="retention-explain">
        Finished runs older than this are removed with their transcripts and recorded changes. Never
        removed: runs waiting for you, runs you have not read yet, worktree changes waiting for
        review, and each automation's newest run. The app, or <code>autowork daemon</code> when it
        runs the schedules, cleans up hourly.
      </p>
      {field(
        "keep_days",
        "retention-keep",
        "Keep finished runs",
        "Succeeded and stopped runs, counted from when they ended.",
        "Days to keep finished runs",
      )}
      {field(
        "keep_failed_days",
        "retention-keep-failed",
        "Keep failed runs",
        "At least as long as finished runs, to look into what went wrong.",
        "Days to keep failed runs",
      )}
      <div className="retention-gc">
        <div className="toolbar">
          <button type="button" data-testid="gc-preview-button" disabled={pending !== null} onClick={() => void runPreview()}>
            Preview clean-up
          </button>
          {would && would.runs > 0 && (
            <button type="button" className="danger" disabled={pending !== null} onClick={() => setAsking(true)}>
              Remove now
            </button>
          )}
        </div>
        {preview && would && (
          <div className="retention-report" role="status" data-testid="gc-preview">
            {would.runs > 0 ? (
              <>
                <p>Would remove {removalText(would)}.</p>
                {cutoffText(preview) && <p className="help">{cutoffText(preview)}</p>}
              </>
            ) : (
              <p>
                Nothing to remove{preview.policy.keep_days === null && preview.policy.keep_failed_days === null ? ": runs are kept forever" : ""}.
              </p>
            )}
          </div>
        )}
        {removed && (
          <div className="retention-report" role="status" data-testid="gc-removed">
            <p>
              {removed.removed.runs > 0
                ? `Removed ${removalText(removed.removed)}.`
                : "Nothing was removed: the runs the preview listed changed meanwhile."}
            </p>
            {spaceText(removed) && <p className="help">{spaceText(removed)}</p>}
          </div>
        )}
      </div>
      {asking && preview && would && (
        <Dialog title="Remove these runs?" onClose={() => setAsking(false)}>
          <p>
            {removalText(would)} go for good; this cannot be undone. Runs that changed since the
            preview are left alone.
          </p>
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Keep them
            </button>
            <button
              type="button"
              className="danger"
              data-testid="confirm-gc"
              disabled={pending !== null}
              onClick={() => void removeNow()}
            >
              Remove {count(would.runs, "run")}
            </button>
          </div>
        </Dialog>
      )}
    </fieldset>
  );
}
