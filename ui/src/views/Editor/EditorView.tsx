import { useCallback, useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import { ApiFailure, errorText, type Automation, type CatalogModel, type Draft, type ValidationDetail } from "../../api";
import { runNowAndOpen } from "../../actions";
import { SandboxBadges } from "../../components/SandboxBadges";
import { useRunNowKey } from "../../hooks";
import { chordText, SHORTCUTS } from "../../keyboard/shortcuts";
import { OnShortcut } from "../../keyboard/useShortcut";
import { detailText } from "../../messages";
import { leave, navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { notices } from "../../stores/notices";
import { TEMPLATES } from "../Templates/templates";
import { ConflictBanner } from "./ConflictBanner";
import { DeleteButton } from "./DeleteButton";
import { DescribeBox } from "./DescribeBox";
import { DiscardGuard } from "./DiscardGuard";
import { DraftSummary } from "./DraftSummary";
import {
  byField,
  changedFields,
  emptyForm,
  formFromAutomation,
  formFromDraft,
  inlineFields,
  isEdited,
  modelKey,
  toSpec,
  type Form,
} from "./form";
import { GeneralFields } from "./GeneralFields";
import { LimitsFields } from "./LimitsFields";
import { PermissionsTable } from "./PermissionsTable";
import { SandboxSection } from "./SandboxSection";
import { TriggerSection } from "./TriggerSection";

interface Loaded {
  /** The stored automation when editing; null when creating. */
  original: Automation | null;
  /** What the user started from: an update sends the fields that differ from it. */
  base: Form;
  /** What the form showed first (a template's values, say): leaving asks when it differs. */
  start: Form;
  models: CatalogModel[];
}

export function EditorView({ automationId, template }: { automationId?: string; template?: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [details, setDetails] = useState<ValidationDetail[]>([]);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Automation | null>(null);
  const [saving, setSaving] = useState(false);
  /** The last draft from "Describe it", shown in plain words beside the form it filled. */
  const [draft, setDraft] = useState<Draft | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([
      api.listModels().catch(() => [] as CatalogModel[]),
      api.getSettings().catch(() => null),
      automationId ? api.getAutomation(automationId) : Promise.resolve(null),
    ]).then(
      ([models, settings, original]) => {
        if (!live) return;
        const fresh = emptyForm(settings);
        const start = original
          ? formFromAutomation(original)
          : (TEMPLATES.find((t) => t.id === template)?.apply(fresh) ?? fresh);
        setLoaded({ original, base: original ? start : fresh, start, models });
        setForm(start);
      },
      (e: unknown) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [automationId, template]);

  const update = useCallback((patch: Partial<Form>) => setForm((f) => (f ? { ...f, ...patch } : f)), []);
  const fieldErrors = useMemo(() => byField(details), [details]);
  const errors = useCallback(
    (...fields: string[]) => fields.flatMap((f) => fieldErrors.get(f) ?? []),
    [fieldErrors],
  );

  const original = loaded?.original ?? null;
  useRunNowKey(original ? () => void runNowAndOpen(original.id) : null);

  if (loadError) {
    return (
      <section className="view">
        <p className="error-text" role="alert">Could not open the automation: {errorText(loadError)}</p>
      </section>
    );
  }
  if (!loaded || !form) return <section className="view" aria-busy="true" />;

  const chosen = loaded.models.find((m) => modelKey(m) === form.model);
  const inline = inlineFields(form, (chosen?.variants?.length ?? 0) > 0 || form.variant !== "");
  const summary = details.filter((d) => !inline(d.field));

  const save = async () => {
    setSaving(true);
    setDetails([]);
    setSaveError(null);
    try {
      let saved: Automation;
      if (!original) {
        saved = await api.createAutomation(toSpec(form));
      } else {
        const patch = changedFields(loaded.base, form);
        if (Object.keys(patch).length === 0) {
          navigate({ view: "automations" }, { force: true });
          return;
        }
        saved = await api.updateAutomation(original.id, patch, original.revision);
      }
      automations.upsert(saved);
      notices.show(`Saved “${saved.title}”.`);
      navigate({ view: "automations" }, { force: true });
    } catch (e) {
      await showSaveFailure(e);
    } finally {
      setSaving(false);
    }
  };

  const showSaveFailure = async (e: unknown) => {
    if (!(e instanceof ApiFailure)) return setSaveError(errorText(e));
    if (e.api.kind === "validation") return setDetails(e.api.details);
    if (e.api.kind === "conflict" && original) {
      try {
        const current = await api.getAutomation(original.id);
        automations.upsert(current);
        return setConflict(current);
      } catch (again) {
        return setSaveError(errorText(again));
      }
    }
    setSaveError(errorText(e));
  };

  const reload = (current: Automation) => {
    const fresh = formFromAutomation(current);
    setLoaded({ ...loaded, original: current, base: fresh, start: fresh });
    setForm(fresh);
    setConflict(null);
  };
  // Keeps the user's changes; the next save applies them on top of the current revision.
  const keepEditing = (current: Automation) => {
    setLoaded({ ...loaded, original: current });
    setConflict(null);
  };

  // The draft fills every field and its problems show next to them; Create saves it.
  const drafted = (next: Draft) => {
    setForm(formFromDraft(next.definition, loaded.base));
    setDetails(next.problems);
    setSaveError(null);
    setDraft(next);
  };

  // Back where the user came from, asking first when there are changes.
  const cancel = () => leave(() => history.back());

  return (
    <section className="view editor">
      <DiscardGuard dirty={isEdited(loaded.start, form)} />
      <OnShortcut shortcut={SHORTCUTS.save} action={saving ? null : () => void save()} />
      <OnShortcut shortcut={SHORTCUTS.leaveEditor} action={cancel} />
      <header className="view-header">
        <h1>
          {original ? `Edit “${original.title}”` : "New automation"}
          {original && (
            <>
              {" "}
              <SandboxBadges automation={original} />
            </>
          )}
        </h1>
        <div className="toolbar">
          {original && <DeleteButton automation={original} />}
          <button type="button" onClick={cancel} title="Cancel (Esc)">
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            data-testid="save-automation"
            title={`Save (${chordText(SHORTCUTS.save)})`}
            disabled={saving}
            onClick={() => void save()}
          >
            {saving ? "Saving…" : original ? "Save" : "Create"}
          </button>
        </div>
      </header>
      {conflict && (
        <ConflictBanner
          current={conflict}
          base={loaded.base}
          onReload={() => reload(conflict)}
          onKeep={() => keepEditing(conflict)}
        />
      )}
      {(summary.length > 0 || saveError) && (
        <div className="banner banner-error" data-testid="validation-summary">
          <strong>{saveError ?? "Some fields need attention"}</strong>
          <ul className="summary">
            {summary.map((d, i) => (
              <li key={i}>
                {d.field && <code>{d.field}</code>}
                {d.field && ": "}
                {detailText(d)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {details.length > 0 && summary.length === 0 && (
        <div className="banner banner-error" role="status">
          <strong>Some fields need attention</strong> — see the messages below.
        </div>
      )}
      {!original && !template && <DescribeBox onDrafted={drafted} />}
      {draft && <DraftSummary draft={draft} />}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <GeneralFields form={form} update={update} errors={errors} models={loaded.models} />
        <TriggerSection form={form} update={update} errors={errors} />
        <PermissionsTable
          rules={form.permissions}
          onChange={(permissions) => update({ permissions })}
          errors={errors}
          details={details}
        />
        <SandboxSection form={form} update={update} errors={errors} />
        <LimitsFields form={form} update={update} errors={errors} />
      </form>
    </section>
  );
}
