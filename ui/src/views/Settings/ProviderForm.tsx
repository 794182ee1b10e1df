import { useState } from "react";
import { errorText, type ProviderConfig, type ProviderKind } from "../../api";

/** Adds a provider, or edits one (its id is then fixed). */
export function ProviderForm({
  initial,
  onSave,
  onCancel,
}: {
  initial?: ProviderConfig;
  onSave: (config: ProviderConfig) => Promise<void>;
  onCancel: () => void;
}) {
  const [id, setId] = useState(initial?.id ?? "");
  const [kind, setKind] = useState<ProviderKind>(initial?.kind ?? "openai_compatible");
  const [baseUrl, setBaseUrl] = useState(initial?.base_url ?? "https://api.openai.com/v1");
  const [keyEnv, setKeyEnv] = useState(initial?.api_key_env ?? "");
  const [models, setModels] = useState((initial?.models ?? []).join(", "));
  const [error, setError] = useState<string | null>(null);
  const prefix = initial ? `provider-${initial.id}` : "provider-new";

  const submit = async () => {
    setError(null);
    try {
      await onSave({
        ...initial,
        id: id.trim(),
        kind,
        base_url: baseUrl.trim(),
        api_key_env: keyEnv.trim() || null,
        models: models.split(",").map((m) => m.trim()).filter(Boolean),
      });
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <form
      className="provider-form"
      aria-label={initial ? `Edit provider ${initial.id}` : "New provider"}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="grid-2">
        <div className="field">
          <label htmlFor={`${prefix}-id`}>Name (id)</label>
          <input id={`${prefix}-id`} value={id} disabled={!!initial} required onChange={(e) => setId(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-kind`}>Protocol</label>
          <select id={`${prefix}-kind`} value={kind} onChange={(e) => setKind(e.target.value as ProviderKind)}>
            <option value="openai_compatible">OpenAI-compatible (OpenAI, OpenRouter, Ollama, LM Studio, vLLM)</option>
            <option value="anthropic">Anthropic</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-url`}>Base URL</label>
          <input id={`${prefix}-url`} className="mono" value={baseUrl} required onChange={(e) => setBaseUrl(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-env`}>API key environment variable (optional)</label>
          <input
            id={`${prefix}-env`}
            className="mono"
            placeholder="OPENAI_API_KEY"
            value={keyEnv}
            onChange={(e) => setKeyEnv(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-models`}>Extra model ids (comma-separated)</label>
          <input id={`${prefix}-models`} className="mono" value={models} onChange={(e) => setModels(e.target.value)} />
        </div>
      </div>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save provider
        </button>
      </div>
    </form>
  );
}
