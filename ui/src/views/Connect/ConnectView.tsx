import { useEffect, useMemo, useRef, useState, type Ref } from "react";
import * as api from "../../api";
import { errorText, type CatalogModel, type ConnectionTest, type ProviderStatus } from "../../api";
import { navigate } from "../../routing";
import { modelKey } from "../Editor/form";
import { putOffConnect } from "./firstRun";
import { useProviderStatuses } from "./useProviders";
import { problemText, statusLabel, storageNote, takesKey, testText } from "./words";
import "./connect.css";

/** The choice for a server that is not one of the presets. */
const OTHER = "other";

type Test = { state: "testing" } | { state: "done"; result: ConnectionTest };

/**
 * "Connect a model": choose a provider, paste its key, test it, choose the default model.
 * Keyboard only, in well under a minute: each step moves the focus to the next.
 */
export function ConnectView({ provider }: { provider?: string }) {
  const [statuses, reload] = useProviderStatuses();
  const [models, setModels] = useState<CatalogModel[]>([]);
  const [choice, setChoice] = useState<string | null>(provider ?? null);
  const [otherId, setOtherId] = useState("my-server");
  /** Null until edited: the chosen provider's own address shows. */
  const [editedUrl, setBaseUrl] = useState<string | null>(null);
  const [key, setKey] = useState("");
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<{ id: string; note: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [test, setTest] = useState<Test | null>(null);
  const [model, setModel] = useState("");
  const [finishing, setFinishing] = useState(false);

  const firstChoice = useRef<HTMLButtonElement | null>(null);
  const keyInput = useRef<HTMLInputElement>(null);
  const urlInput = useRef<HTMLInputElement>(null);
  const testButton = useRef<HTMLButtonElement>(null);
  const modelField = useRef<HTMLElement | null>(null);

  useEffect(() => {
    api.listModels().then(setModels, () => {});
  }, []);

  const chosen = choice && choice !== OTHER ? (statuses?.find((s) => s.config.id === choice) ?? null) : null;
  const providerId = choice === OTHER ? otherId.trim() : choice;
  const local = choice === OTHER || (chosen !== null && !takesKey(chosen));
  const ready = saved?.id === providerId || (chosen?.ready ?? false);
  const baseUrl = editedUrl ?? chosen?.config.base_url ?? "http://127.0.0.1:1234/v1";
  const choices = useMemo(() => catalogModels(models, providerId), [models, providerId]);
  // The catalog's first model for the provider is the suggestion until another is chosen.
  const chosenModel = model || (choices[0] ? modelKey(choices[0]) : "");

  const pick = (id: string) => {
    setChoice(id);
    setKey("");
    setSaved(null);
    setError(null);
    setTest(null);
    setModel("");
    setBaseUrl(null);
  };

  // Each step hands the focus to the next as soon as it is there.
  useEffect(() => {
    if (!choice) firstChoice.current?.focus();
  }, [choice, statuses]);
  useEffect(() => {
    if (!choice) return;
    (local ? urlInput : keyInput).current?.focus();
  }, [choice, local]);
  useEffect(() => {
    if (saved) testButton.current?.focus();
  }, [saved]);

  const save = async () => {
    if (!providerId) return;
    setSaving(true);
    setError(null);
    try {
      let note: string;
      if (local) {
        const base = chosen?.config ?? {
          id: providerId,
          kind: "openai_compatible" as const,
          api_key_env: null,
          models: [],
        };
        await api.setProvider({ ...base, id: providerId, base_url: baseUrl.trim() });
        note = key.trim()
          ? storageNote(await api.setProviderKey(providerId, key))
          : "Saved. This server needs no key.";
      } else {
        note = storageNote(await api.setProviderKey(providerId, key));
      }
      setKey("");
      setSaved({ id: providerId, note });
      setTest(null);
      reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const runTest = async () => {
    if (!providerId) return;
    setTest({ state: "testing" });
    let result: ConnectionTest;
    try {
      result = await api.testProvider(providerId);
    } catch (e) {
      result = { kind: "failed", message: errorText(e), details: null };
    }
    setTest({ state: "done", result });
    if (result.kind === "ok") modelField.current?.focus();
  };

  const finish = async () => {
    const picked = chosenModel.trim();
    if (!providerId || !picked) return;
    setFinishing(true);
    setError(null);
    try {
      const inCatalog = choices.find((m) => modelKey(m) === picked);
      const modelId = inCatalog ? inCatalog.model_id : picked;
      if (!inCatalog) {
        // A server's own model joins its provider's list (and the catalog at the next start).
        const current = (await api.listProviders()).find((s) => s.config.id === providerId);
        if (current && !(current.config.models ?? []).includes(modelId)) {
          await api.setProvider({ ...current.config, models: [...(current.config.models ?? []), modelId] });
        }
      }
      const settings = await api.getSettings();
      await api.setSettings({ ...settings, default_model: { provider_id: providerId, model_id: modelId } });
      putOffConnect();
      navigate({ view: "new" }, { force: true });
    } catch (e) {
      setError(errorText(e));
      setFinishing(false);
    }
  };

  const later = () => {
    putOffConnect();
    navigate({ view: "automations" }, { force: true });
  };

  return (
    <section className="view connect" aria-labelledby="connect-title">
      <header className="view-header">
        <h1 id="connect-title">Connect a model</h1>
        <button type="button" data-testid="connect-later" onClick={later}>
          Later
        </button>
      </header>
      <p className="muted">
        Automations run on a model from a provider you choose. Pick one, paste its API key, and choose the model new
        automations start with. You can change all of it under Settings.
      </p>

      <fieldset className="section">
        <legend>1. Provider</legend>
        <div className="connect-choices" role="group" aria-label="Provider">
          {statuses?.map((s, i) => (
            <ProviderChoice
              key={s.config.id}
              status={s}
              chosen={choice === s.config.id}
              onPick={pick}
              buttonRef={i === 0 ? firstChoice : undefined}
            />
          ))}
          <button
            type="button"
            className="connect-choice"
            data-testid="connect-provider-other"
            aria-pressed={choice === OTHER}
            onClick={() => pick(OTHER)}
          >
            <span className="connect-choice-name">Other OpenAI-compatible server</span>
            <span className="small muted">LM Studio, vLLM, a company gateway…</span>
          </button>
        </div>
        {statuses === null && <p className="muted small">Loading providers…</p>}
      </fieldset>

      {choice && (
        <form
          className="section connect-key"
          aria-label="Key"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h2>2. {local ? "Server" : "API key"}</h2>
          {chosen?.problem && !chosen.ready && <p className="small warn-text">{problemText(chosen, "connect")}</p>}
          {choice === OTHER && (
            <div className="field">
              <label htmlFor="connect-id">Name</label>
              <input id="connect-id" className="mono" value={otherId} onChange={(e) => setOtherId(e.target.value)} />
            </div>
          )}
          {local && (
            <div className="field">
              <label htmlFor="connect-url">Base URL</label>
              <input
                id="connect-url"
                ref={urlInput}
                className="mono"
                data-testid="connect-url"
                spellCheck={false}
                value={baseUrl}
                onChange={(e) => setBaseUrl(e.target.value)}
              />
            </div>
          )}
          {(!local || choice === OTHER) && (
            <div className="field">
              <label htmlFor="connect-key-input">{local ? "API key (if the server wants one)" : "API key"}</label>
              <input
                id="connect-key-input"
                ref={keyInput}
                type="password"
                autoComplete="off"
                spellCheck={false}
                data-testid="connect-key"
                value={key}
                onChange={(e) => setKey(e.target.value)}
              />
            </div>
          )}
          <div className="actions">
            <button
              type="submit"
              className="primary"
              data-testid="connect-save"
              disabled={saving || !providerId || (!local && !key.trim()) || (local && !baseUrl.trim())}
            >
              {saving ? "Saving…" : local ? "Save server" : "Save key"}
            </button>
            <button
              type="button"
              ref={testButton}
              data-testid="connect-test"
              disabled={!ready || test?.state === "testing"}
              onClick={() => void runTest()}
            >
              {test?.state === "testing" ? "Testing…" : "Test connection"}
            </button>
          </div>
          {saved && (
            <p className="small connect-note" role="status" data-testid="connect-saved">
              {saved.note}
            </p>
          )}
          {test?.state === "done" && <TestResult result={test.result} />}
          {error && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
        </form>
      )}

      {choice && (
        <form
          className="section"
          aria-label="Model"
          onSubmit={(e) => {
            e.preventDefault();
            void finish();
          }}
        >
          <h2>3. Default model</h2>
          <div className="field">
            <label htmlFor="connect-model-input">Model for new automations</label>
            {choices.length ? (
              <select
                id="connect-model-input"
                ref={(el) => {
                  modelField.current = el;
                }}
                data-testid="connect-model"
                value={chosenModel}
                onChange={(e) => setModel(e.target.value)}
              >
                {choices.map((m) => (
                  <option key={modelKey(m)} value={modelKey(m)}>
                    {m.display_name ?? m.model_id}
                  </option>
                ))}
              </select>
            ) : (
              <>
                <input
                  id="connect-model-input"
                  ref={(el) => {
                    modelField.current = el;
                  }}
                  className="mono"
                  data-testid="connect-model"
                  placeholder="model id, e.g. qwen2.5-coder"
                  value={model}
                  onChange={(e) => setModel(e.target.value)}
                />
                <span className="help">
                  The catalog has no models for this server yet: name one it serves. It joins the catalog when you
                  finish, for every automation to use.
                </span>
              </>
            )}
          </div>
          <div className="actions">
            <button
              type="submit"
              className="primary"
              data-testid="connect-done"
              disabled={!ready || !chosenModel.trim() || finishing}
            >
              Done: new automation
            </button>
            {!ready && <span className="small muted">Save the {local ? "server" : "key"} first.</span>}
          </div>
        </form>
      )}
    </section>
  );
}

function ProviderChoice({
  status: s,
  chosen,
  onPick,
  buttonRef,
}: {
  status: ProviderStatus;
  chosen: boolean;
  onPick: (id: string) => void;
  buttonRef?: Ref<HTMLButtonElement>;
}) {
  return (
    <button
      type="button"
      ref={buttonRef}
      className="connect-choice"
      data-testid={`connect-provider-${s.config.id}`}
      aria-pressed={chosen}
      onClick={() => onPick(s.config.id)}
    >
      <span className="connect-choice-name">{s.name}</span>
      <span className={s.ready ? "status-chip status-ready" : "status-chip status-needs"}>{statusLabel(s)}</span>
    </button>
  );
}

export function TestResult({ result, testId = "connect-test-result" }: { result: ConnectionTest; testId?: string }) {
  return (
    <div
      className={result.kind === "ok" ? "small connect-test ok-text" : "small connect-test error-text"}
      role="status"
      data-testid={testId}
    >
      {testText(result)}
      {result.kind === "failed" && result.details && (
        <details>
          <summary>Details</summary>
          <code className="connect-details">{result.details}</code>
        </details>
      )}
    </div>
  );
}

/** The catalog's models for `providerId`. */
function catalogModels(models: CatalogModel[], providerId: string | null): CatalogModel[] {
  return providerId ? models.filter((m) => m.provider_id === providerId) : [];
}
