import { useCallback, useEffect, useState } from "react";
import * as api from "../../api";
import { errorText, type ProviderConfig } from "../../api";
import { notices } from "../../stores/notices";
import { ProviderForm } from "./ProviderForm";
import { ProviderItem } from "./ProviderItem";

export function ProvidersSection() {
  const [providers, setProviders] = useState<ProviderConfig[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  const reload = useCallback(() => {
    api.listProviders().then(
      (list) => {
        setProviders(list);
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, []);
  useEffect(reload, [reload]);

  const save = async (config: ProviderConfig) => {
    await api.setProvider(config);
    notices.show(`Saved provider “${config.id}”. New models join the catalog at the next start.`);
    reload();
  };

  return (
    <fieldset className="section">
      <legend>Providers</legend>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {providers?.length === 0 && <p className="muted">No provider yet: add one to choose its models.</p>}
      <ul className="providers">
        {providers?.map((p) => (
          <ProviderItem key={p.id} provider={p} onSave={save} onChanged={reload} />
        ))}
      </ul>
      {adding ? (
        <ProviderForm
          onSave={async (c) => {
            await save(c);
            setAdding(false);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          Add provider
        </button>
      )}
    </fieldset>
  );
}
