// The model picker's options split by whether their provider is ready, and the hint under
// it when the chosen model's provider still needs setting up.
import type { CatalogModel, ProviderStatus } from "../../api";
import { href } from "../../routing";
import { modelKey } from "../Editor/form";
import { providerFixHref } from "./links";
import "./connect.css";

function label(m: CatalogModel): string {
  return m.display_name ? `${m.display_name} (${m.provider_id})` : modelKey(m);
}

/**
 * `<option>`s for `models`: those of ready providers first ("Ready"), then the rest ("Needs
 * setup", still selectable). Without statuses (not loaded, or unavailable) one plain list.
 */
export function ModelOptions({ models, statuses }: { models: CatalogModel[]; statuses: ProviderStatus[] | null }) {
  if (!statuses) {
    return (
      <>
        {models.map((m) => (
          <option key={modelKey(m)} value={modelKey(m)}>
            {label(m)}
          </option>
        ))}
      </>
    );
  }
  const ready = new Set(statuses.filter((s) => s.ready).map((s) => s.config.id));
  const usable = models.filter((m) => ready.has(m.provider_id));
  const pending = models.filter((m) => !ready.has(m.provider_id));
  return (
    <>
      {usable.length > 0 && (
        <optgroup label="Ready">
          {usable.map((m) => (
            <option key={modelKey(m)} value={modelKey(m)}>
              {label(m)}
            </option>
          ))}
        </optgroup>
      )}
      {pending.length > 0 && (
        <optgroup label="Needs setup">
          {pending.map((m) => (
            <option key={modelKey(m)} value={modelKey(m)}>
              {`${label(m)}: needs setup`}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

/** What to do when the chosen model's provider is not ready; nothing when it is. */
export function ModelSetupHint({
  providerId,
  statuses,
}: {
  providerId: string | undefined;
  statuses: ProviderStatus[] | null;
}) {
  if (!providerId || !statuses) return null;
  const status = statuses.find((s) => s.config.id === providerId);
  if (status?.ready) return null;
  return (
    <p className="help model-hint" data-testid="model-needs-setup">
      {status ? (
        <>
          <strong>{status.name} needs setup.</strong> {status.problem ? `${status.problem.message}. ` : ""}
          <a href={providerFixHref(providerId)}>Connect it</a>
        </>
      ) : (
        <>
          Provider “{providerId}” is not configured. <a href={href({ view: "settings" })}>Add it in Settings</a>
        </>
      )}
    </p>
  );
}
