import { useEffect, useState } from "react";
import * as api from "../../api";
import { errorText, type FolderHint, type ValidationDetail } from "../../api";
import { Field } from "../../components/Field";
import "./workspace-field.css";

/** How long typing pauses before the folder is looked at. */
const DESCRIBE_AFTER_MS = 300;

/** Absolute on Linux and macOS (`/srv/x`) or Windows (`C:\x`, `\\server\x`): the engine wants one. */
const isAbsolute = (path: string) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);

/** What the engine says about the folder typed, for the path typed; null while there is none. */
function useFolderHint(path: string): { hint: FolderHint | null; set: (path: string, hint: FolderHint) => void } {
  const [state, setState] = useState<{ path: string; hint: FolderHint | null } | null>(null);
  const wanted = isAbsolute(path) ? path : "";
  useEffect(() => {
    if (!wanted || state?.path === wanted) return;
    let live = true;
    const timer = setTimeout(() => {
      api.describeFolder(wanted).then(
        (hint) => live && setState({ path: wanted, hint }),
        // No hint is better than a wrong one; saving still checks the folder.
        () => live && setState({ path: wanted, hint: null }),
      );
    }, DESCRIBE_AFTER_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [wanted, state?.path]);
  // While the next answer is coming the last one stays (no flicker); an empty field has none.
  return { hint: wanted ? (state?.hint ?? null) : null, set: (p, hint) => setState({ path: p, hint }) };
}

function hintText(hint: FolderHint): { tone: "ok" | "warn" | "bad"; text: string } {
  if (!hint.exists) return { tone: "bad", text: "This folder does not exist" };
  if (!hint.is_dir) return { tone: "bad", text: "This is a file, not a folder" };
  if (hint.git_root) return { tone: "ok", text: `Git repository (root: ${hint.git_root})` };
  return { tone: "warn", text: "Not a git repository: worktree placement and review need one" };
}

/**
 * The work directory: typed, or chosen with the system's folder picker, with what the
 * folder is (a git repository or not, missing) underneath as the user types.
 */
export function WorkspaceField({
  value,
  onChange,
  errors,
}: {
  value: string;
  onChange: (value: string) => void;
  errors: readonly ValidationDetail[];
}) {
  const { hint, set } = useFolderHint(value.trim());
  const [picking, setPicking] = useState(false);
  const [pickError, setPickError] = useState<string | null>(null);
  const choose = async () => {
    setPicking(true);
    setPickError(null);
    try {
      const picked = await api.pickFolder(value.trim() || null);
      if (picked) {
        set(picked.path, picked);
        onChange(picked.path);
      }
    } catch (e) {
      setPickError(errorText(e));
    } finally {
      setPicking(false);
    }
  };
  const said = hint && hintText(hint);
  return (
    <Field
      label="Work directory"
      htmlFor="field-workspace"
      errors={errors}
      help="Absolute path of the directory the agent works in."
    >
      <div className="workspace-input">
        <input
          id="field-workspace"
          data-testid="field-workspace"
          className="mono"
          placeholder="/home/you/project"
          spellCheck={false}
          value={value}
          aria-invalid={errors.length > 0}
          aria-describedby="workspace-hint"
          onChange={(e) => onChange(e.target.value)}
        />
        <button type="button" data-testid="choose-folder" disabled={picking} onClick={() => void choose()}>
          Choose…
        </button>
      </div>
      <div id="workspace-hint" className="workspace-hint" role="status" data-testid="workspace-hint">
        {said && <span className={`workspace-hint-${said.tone}`}>{said.text}</span>}
        {pickError && <span className="error-text">Could not choose a folder: {pickError}</span>}
      </div>
    </Field>
  );
}
