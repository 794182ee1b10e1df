import { useState } from "react";
import * as api from "../../api";
import { errorText, type ConnectionTest, type ProviderConfig, type ProviderStatus } from "../../api";
import { Dialog } from "../../components/Dialog";
import { notices } from "../../stores/notices";
import { TestResult } from "../Connect/ConnectView";
import { hasStoredKey, keySourceText, problemText, statusLabel, storageNote } from "../Connect/words";
import { ProviderForm } from "./ProviderForm";
import "../Connect/connect.css";

type Mode = "view" | "edit" | "key" | "remove";

export function ProviderItem({
  status: s,
  onSave,
  onChanged,
}: {
  status: ProviderStatus;
  onSave: (config: ProviderConfig) => Promise<void>;
  onChanged: () => void;
}) {
  const p = s.config;
  const [mode, setMode] = useState<Mode>("view");
  const [test, setTest] = useState<ConnectionTest | "testing" | null>(null);
  const [key, setKey] = useState("");
  const [keyError, setKeyError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const runTest = async () => {
    setTest("testing");
    try {
      setTest(await api.testProvider(p.id));
    } catch (e) {
      setTest({ kind: "failed", message: errorText(e), details: null });
    }
  };
  const storeKey = async () => {
    setKeyError(null);
    try {
      const storage = await api.setProviderKey(p.id, key);
      setKey("");
      setMode("view");
      setNote(storageNote(storage));
      setTest(null);
      onChanged();
    } catch (e) {
      setKeyError(errorText(e));
    }
  };
  const forgetKey = async () => {
    try {
      await api.forgetProviderKey(p.id);
      setNote("The stored key is gone.");
      setTest(null);
      onChanged();
    } catch (e) {
      notices.error("Could not forget the key", e);
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

  return (
    <li className="provider" data-testid="provider" data-provider={p.id}>
      <div className="provider-line">
        <div>
          <strong>{s.name}</strong>{" "}
          {s.name !== p.id && <span className="muted mono small">{p.id}</span>}{" "}
          <span className="muted">{p.kind === "anthropic" ? "Anthropic" : "OpenAI-compatible"}</span>
          <div className="mono small">{p.base_url}</div>
          <div className="provider-status">
            <span
              className={s.ready ? "status-chip status-ready" : "status-chip status-needs"}
              data-testid="provider-status"
            >
              {statusLabel(s)}
            </span>
            <span className="small muted">{keySourceText(s)}</span>
          </div>
          {s.problem && (
            <div className="small provider-problem">
              <span className={s.ready ? "muted" : "warn-text"}>{problemText(s, "settings")}</span>
              {s.problem.details && (
                <details>
                  <summary>Details</summary>
                  <code className="connect-details">{s.problem.details}</code>
                </details>
              )}
            </div>
          )}
        </div>
        <div className="actions">
          <button type="button" onClick={() => void runTest()} aria-label={`Test connection to ${p.id}`}>
            Test connection
          </button>
          <button type="button" onClick={() => setMode("key")} aria-label={`Store API key for ${p.id}`}>
            {hasStoredKey(s) ? "Replace API key" : "Add API key"}
          </button>
          {hasStoredKey(s) && (
            <button type="button" onClick={() => void forgetKey()} aria-label={`Forget the key of ${p.id}`}>
              Forget key
            </button>
          )}
          <button type="button" onClick={() => setMode("edit")} aria-label={`Edit ${p.id}`}>
            Edit
          </button>
          {s.source !== "preset" && (
            <button type="button" className="danger" onClick={() => setMode("remove")} aria-label={`Remove ${p.id}`}>
              {s.source === "user_override" ? "Reset" : "Remove"}
            </button>
          )}
        </div>
      </div>
      {note && (
        <p className="small connect-note" role="status" data-testid="provider-key-note">
          {note}
        </p>
      )}
      {test === "testing" && (
        <p className="small" role="status">
          Testing…
        </p>
      )}
      {test && test !== "testing" && <TestResult result={test} testId="provider-test-result" />}
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
            spellCheck={false}
            // Opened on purpose: the key goes here next.
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
          <button type="submit" className="primary" disabled={!key.trim()}>
            Save key
          </button>
          <button type="button" onClick={() => setMode("view")}>
            Cancel
          </button>
          {keyError && (
            <p className="error-text" role="alert">
              {keyError}
            </p>
          )}
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
        <Dialog
          title={s.source === "user_override" ? `Reset “${s.name}” to its defaults?` : `Remove provider “${s.name}”?`}
          onClose={() => setMode("view")}
        >
          <p>
            {s.source === "user_override"
              ? "Your changes and its stored key are removed; the built-in settings apply again."
              : "Its stored key is removed too. Automations that use its models fail until you choose another model."}
          </p>
          <div className="actions">
            <button type="button" onClick={() => setMode("view")}>
              Keep it
            </button>
            <button type="button" className="danger" onClick={() => void remove()}>
              {s.source === "user_override" ? "Reset" : "Remove"}
            </button>
          </div>
        </Dialog>
      )}
    </li>
  );
}
