import { useState } from "react";
import * as api from "../../api";
import { errorText, type Draft } from "../../api";
import { localTimeZone } from "./form";

/**
 * "Describe it": a sentence (and optionally the work directory) in, a draft out. The
 * editor below opens filled with the draft; nothing is saved until Create.
 */
export function DescribeBox({ onDrafted }: { onDrafted: (draft: Draft) => void }) {
  const [sentence, setSentence] = useState("");
  const [workspace, setWorkspace] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const draft = async () => {
    if (!sentence.trim() || busy) return;
    setBusy(true);
    setError(null);
    try {
      onDrafted(await api.draftAutomation(sentence, workspace.trim() || null, localTimeZone()));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const choose = async () => {
    try {
      const picked = await api.pickFolder(workspace.trim() || null);
      if (picked) setWorkspace(picked.path);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <fieldset className="section describe" data-testid="describe-box" aria-busy={busy}>
      <legend>Describe it</legend>
      <div className="field">
        <label htmlFor="describe-sentence">Say what it should do, and when</label>
        <textarea
          id="describe-sentence"
          data-testid="describe-sentence"
          rows={3}
          placeholder="Every weekday at 9, summarize yesterday's commits into NOTES.md"
          value={sentence}
          disabled={busy}
          onChange={(e) => setSentence(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void draft();
            }
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="describe-workspace">Work directory (optional)</label>
        <div className="workspace-input">
          <input
            id="describe-workspace"
            data-testid="describe-workspace"
            className="mono"
            placeholder="/home/you/project"
            spellCheck={false}
            value={workspace}
            disabled={busy}
            onChange={(e) => setWorkspace(e.target.value)}
          />
          <button
            type="button"
            aria-label="Choose the work directory to describe"
            disabled={busy}
            onClick={() => void choose()}
          >
            Choose…
          </button>
        </div>
      </div>
      <div className="describe-actions">
        <button
          type="button"
          className="primary"
          data-testid="describe-draft"
          disabled={busy || !sentence.trim()}
          onClick={() => void draft()}
        >
          {busy ? "Drafting…" : "Draft"}
        </button>
        <span className="help">
          Your default model drafts it from the sentence, the folder's top-level file names and your time zone.
          Nothing is saved until you press Create.
        </span>
      </div>
      {error && (
        <p className="error-text" role="alert" data-testid="describe-error">
          Could not draft it: {error}
        </p>
      )}
    </fieldset>
  );
}
