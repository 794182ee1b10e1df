import { useState } from "react";
import * as api from "../../api";
import { errorText, type ProviderConfig } from "../../api";
import { Dialog } from "../../components/Dialog";
import { notices } from "../../stores/notices";
import { ProviderForm } from "./ProviderForm";

type Mode = "view" | "edit" | "key" | "remove";

export function ProviderItem({
  provider: p,
  onSave,
  onChanged,
}: {
  provider: ProviderConfig;
  onSave: (config: ProviderConfig) => Promise<void>;
  onChanged: () => void;
}) {
  const [mode, setMode] = useState<Mode>("view");
  const [test, setTest] = useState<{ ok: boolean; text: string } | null>(null);
  const [key, setKey] = useState("");

  const runTest = async () => {
    setTest({ ok: true, text: "Testing…" });
    try {
      const n = await api.testProvider(p.id);
      setTest({ ok: true, text: `ok: ${n} models` });
    } catch (e) {
      setTest({ ok: false, text: errorText(e) });
    }
  };
  const storeKey = async () => {
    try {
      await api.setProviderKey(p.id, key);
      setKey("");
      setMode("view");
      notices.show(`The key for “${p.id}” is in the system keychain.`);
      onChanged();
    } catch (e) {
      notices.error("Could not store the key", e);
    }
  };
  const remove = async () => {
    try {
      await api.removeProvider(p.id);
      onChanged();
    } catch (e) {
      notices.error("Could not remove the provider", e);
    }
    setMode("view");
  };

  const keyState = p.api_key_in_keychain
    ? "key in the keychain"
    : p.api_key_env
      ? `key from $${p.api_key_env}`
      : "no key";

  return (
    <li className="provider" data-testid="provider">
      <div className="provider-line">
        <div>
          <strong>{p.id}</strong> <span className="muted">{p.kind === "anthropic" ? "Anthropic" : "OpenAI-compatible"}</span>
          <div className="mono small">{p.base_url}</div>
          <div className="small muted">{keyState}</div>
        </div>
        <div className="actions">
          <button type="button" onClick={() => void runTest()} aria-label={`Test connection to ${p.id}`}>
            Test connection
          </button>
          <button type="button" onClick={() => setMode("key")} aria-label={`Store API key for ${p.id}`}>
            Store API key
          </button>
          <button type="button" onClick={() => setMode("edit")} aria-label={`Edit ${p.id}`}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => setMode("remove")} aria-label={`Remove ${p.id}`}>
            Remove
          </button>
        </div>
      </div>
      {test && (
        <p className={test.ok ? "small" : "small error-text"} role="status">
          {test.text}
        </p>
      )}
      {mode === "key" && (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void storeKey();
          }}
        >
          <label htmlFor={`key-${p.id}`}>API key</label>
          <input
            id={`key-${p.id}`}
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
          <button type="submit" className="primary" disabled={!key}>
            Store
          </button>
          <button type="button" onClick={() => setMode("view")}>
            Cancel
          </button>
        </form>
      )}
      {mode === "edit" && (
        <ProviderForm
          initial={p}
          onSave={async (c) => {
            await onSave(c);
            setMode("view");
          }}
          onCancel={() => setMode("view")}
        />
      )}
      {mode === "remove" && (
        <Dialog title={`Remove provider “${p.id}”?`} onClose={() => setMode("view")}>
          <p>Automations that use its models fail until you choose another model.</p>
          <div className="actions">
            <button type="button" onClick={() => setMode("view")}>
              Keep it
            </button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Remove
            </button>
          </div>
        </Dialog>
      )}
    </li>
  );
}
