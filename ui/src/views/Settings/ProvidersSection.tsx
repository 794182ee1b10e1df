import { useCallback, useEffect, useState } from "react";
import * as api from "../../api";
import { errorText, type ProviderConfig, type ProviderStatus } from "../../api";
import { href } from "../../routing";
import { notices } from "../../stores/notices";
import { ProviderForm } from "./ProviderForm";
import { ProviderItem } from "./ProviderItem";

export function ProvidersSection() {
  const [providers, setProviders] = useState<ProviderStatus[] | null>(null);
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

  const anyReady = providers?.some((p) => p.ready) ?? true;
  return (
    <fieldset className="section">
      <legend>Providers</legend>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {!anyReady && (
        <p className="warn-text">
          No provider is ready yet, so runs cannot start. <a href={href({ view: "connect" })}>Connect a model</a>
        </p>
      )}
      <ul className="providers">
        {providers?.map((p) => (
          <ProviderItem key={p.config.id} status={p} onSave={save} onChanged={reload} />
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
