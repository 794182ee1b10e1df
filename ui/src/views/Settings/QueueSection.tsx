import { useEffect, useRef, useState } from "react";
import * as api from "../../api";
import { ApiFailure, errorText, type QueueLimits, type ValidationDetail } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import { notices } from "../../stores/notices";
import { useProviderStatuses } from "../Connect/useProviders";
import "./queue.css";

// Fields are named by the engine's validation paths, so its details land next to them.
const GLOBAL = "max_concurrent_runs";
const PROVIDER = "per_provider.";
const providerField = (id: string) => PROVIDER + id;

type Errors = Partial<Record<string, ValidationDetail[]>>;

/** A field's saved limit; null for a provider without a limit of its own. */
function limitOf(limits: QueueLimits, field: string): number | null {
  if (field === GLOBAL) return limits.max_concurrent_runs;
  return limits.per_provider[field.slice(PROVIDER.length)] ?? null;
}

function withLimit(limits: QueueLimits, field: string, value: number | null): QueueLimits {
  if (field === GLOBAL) return { ...limits, max_concurrent_runs: value ?? limits.max_concurrent_runs };
  const perProvider = { ...limits.per_provider };
  const id = field.slice(PROVIDER.length);
  if (value === null) delete perProvider[id];
  else perProvider[id] = value;
  return { ...limits, per_provider: perProvider };
}

/** A limit as typed: null when empty, undefined when it is not a whole number. */
function typedLimit(text: string): number | null | undefined {
  if (text.trim() === "") return null;
  const n = Number(text);
  return Number.isInteger(n) ? n : undefined;
}

function textsOf(limits: QueueLimits): Record<string, string> {
  const texts: Record<string, string> = { [GLOBAL]: String(limits.max_concurrent_runs) };
  for (const [id, n] of Object.entries(limits.per_provider)) {
    if (n !== undefined) texts[providerField(id)] = String(n);
  }
  return texts;
}

/** Settings → Runs at once: the global limit and each provider's optional lower one. */
export function QueueSection() {
  const [limits, setLimits] = useState<QueueLimits | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Errors>({});
  const [providers] = useProviderStatuses();
  // Saves go one after another, each from the limits the one before stored, so a quick
  // second change never sends back the value the first one replaced.
  const saved = useRef<QueueLimits | null>(null);
  const saving = useRef(Promise.resolve());

  useEffect(() => {
    api.queueLimits().then(
      (l) => {
        saved.current = l;
        setLimits(l);
        setTexts(textsOf(l));
      },
      (e: unknown) => setLoadError(errorText(e)),
    );
  }, []);

  /** Replaces `field`'s errors (and those of any field `details` name) with `details`. */
  const showErrors = (field: string, details: readonly ValidationDetail[]) =>
    setErrors((prev) => {
      const next: Errors = { ...prev, [field]: [] };
      for (const d of details) next[d.field] = [];
      for (const d of details) next[d.field] = [...(next[d.field] ?? []), d];
      return next;
    });

  const saveNow = async (field: string, text: string) => {
    const current = saved.current;
    if (!current) return;
    const value = typedLimit(text);
    if (value === undefined || (value === null && field === GLOBAL)) {
      return showErrors(field, [{ field, message: value === null ? "required" : "limit_out_of_range_1_64" }]);
    }
    if (value === limitOf(current, field)) return showErrors(field, []);
    try {
      const stored = await api.setQueueLimits(withLimit(current, field, value));
      saved.current = stored;
      setLimits(stored);
      // Shown as stored, unless the user has typed on in the meantime.
      setTexts((t) => (t[field] === text ? { ...t, [field]: textsOf(stored)[field] ?? "" } : t));
      showErrors(field, []);
    } catch (e) {
      // What was typed stays in the field, to be corrected rather than typed again.
      if (e instanceof ApiFailure && e.details.length > 0) showErrors(field, e.details);
      else notices.error("Could not save the limit", e);
    }
  };
  const save = (field: string, text: string) => {
    saving.current = saving.current.then(() => saveNow(field, text));
  };

  const input = (field: string, id: string, placeholder?: string) => (
    <input
      id={id}
      type="number"
      min={1}
      max={64}
      step={1}
      placeholder={placeholder}
      value={texts[field] ?? ""}
      aria-invalid={errors[field]?.length ? true : undefined}
      aria-describedby={errors[field]?.length ? `${id}-error` : undefined}
      onChange={(e) => setTexts((t) => ({ ...t, [field]: e.target.value }))}
      onBlur={(e) => save(field, e.target.value)}
    />
  );

  // Listed providers, then any that has a limit but is no longer listed (so it can be cleared).
  const ids = (providers ?? []).map((p) => p.config.id);
  for (const id of Object.keys(limits?.per_provider ?? {})) if (!ids.includes(id)) ids.push(id);
  const nameOf = (id: string) => providers?.find((p) => p.config.id === id)?.name ?? id;
  const shown = new Set([GLOBAL, ...ids.map(providerField)]);
  const otherErrors = Object.entries(errors).flatMap(([f, list]) => (shown.has(f) ? [] : (list ?? [])));

  return (
    <fieldset className="section queue-limits" disabled={!limits} data-testid="queue-limits">
      <legend>Runs at once</legend>
      {loadError && (
        <p className="error-text" role="alert">
          Could not load the limits: {loadError}
        </p>
      )}
      <p className="queue-explain">
        At most this many runs execute at once; a run waiting for your answer keeps its slot. Runs
        beyond it wait in line: a Run now first, then scheduled runs in the order they were due. The
        limit holds for this app and <code>autowork daemon</code> together.
      </p>
      <Field label="All providers together" htmlFor="queue-max" errors={errors[GLOBAL]} help="1 to 64.">
        {input(GLOBAL, "queue-max")}
      </Field>
      {ids.length > 0 && (
        <>
          <h3 className="queue-subhead">Per provider</h3>
          <p className="help">
            A lower limit where a provider needs one (its rate limit). Empty: no limit of its own.
          </p>
          <div className="queue-providers">
            {ids.map((id) => (
              <Field key={id} label={nameOf(id)} htmlFor={`queue-provider-${id}`} errors={errors[providerField(id)]}>
                {input(providerField(id), `queue-provider-${id}`, "no limit of its own")}
              </Field>
            ))}
          </div>
        </>
      )}
      <FieldErrors errors={otherErrors} />
    </fieldset>
  );
}
