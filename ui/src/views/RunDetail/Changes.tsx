import { useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import { errorText, type FileChange, type FileChangeKind, type Run, type RunChanges } from "../../api";
import { Diff } from "../../components/Diff";
import { useStore } from "../../stores/observable";
import { isActive } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";
import { WorktreeReview } from "./WorktreeReview";

/** Lines of a patch, and rows of the file list, rendered before "Show all". */
export const PATCH_LINE_LIMIT = 2000;
const FILE_LIMIT = 500;

type Loaded = { changes: RunChanges | null } | { error: unknown };

/**
 * What a run changed. The engine records it when the run ends, so it is fetched once the
 * run is terminal (the run store's `run.updated` flips that), and again after a resync.
 */
export function RunChangesSection({ run, ranShell }: { run: Run; ranShell: boolean }) {
  const ended = !isActive(run.state);
  const tick = useStore(resyncTick);
  const [reloads, setReloads] = useState(0);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    if (!ended) return;
    let live = true;
    api.getRunChanges(run.id).then(
      (changes) => {
        if (live) setLoaded({ changes });
      },
      (error: unknown) => {
        if (live) setLoaded({ error });
      },
    );
    return () => {
      live = false;
    };
  }, [run.id, ended, tick, reloads]);

  return (
    <section className="changes" data-testid="run-changes" aria-labelledby="run-changes-title">
      <h2 id="run-changes-title">Changes</h2>
      {!ended ? (
        <p className="muted">Recorded when the run ends.</p>
      ) : loaded === null ? (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      ) : "error" in loaded ? (
        <p className="error-text" role="alert">
          Could not load the changes: {errorText(loaded.error)}
        </p>
      ) : loaded.changes === null ? (
        <p className="muted">No changes were recorded for this run.</p>
      ) : (
        <ChangesBody
          changes={loaded.changes}
          ranShell={ranShell}
          onChanges={(changes) => setLoaded({ changes })}
          onStale={() => setReloads((n) => n + 1)}
        />
      )}
    </section>
  );
}

function ChangesBody({
  changes,
  ranShell,
  onChanges,
  onStale,
}: {
  changes: RunChanges;
  /** Whether the run ran a shell command, whose changes a list from the tools misses. */
  ranShell: boolean;
  onChanges: (changes: RunChanges) => void;
  onStale: () => void;
}) {
  // Outside git, the list comes from `write` and `edit`, and the note says shell commands'
  // changes are missing from it: that matters only when a shell command ran.
  const note = changes.source === "tools" && !ranShell ? null : changes.note;
  return (
    <>
      <p className="changes-summary" data-testid="run-changes-summary">
        {summaryText(changes)}
      </p>
      {note && <p className="changes-note">{note}</p>}
      {changes.worktree && (
        <WorktreeReview
          runId={changes.run_id}
          worktree={changes.worktree}
          onWorktree={(worktree) => onChanges({ ...changes, worktree })}
          onChanges={onChanges}
          onStale={onStale}
        />
      )}
      {changes.files.length > 0 && <FileList files={changes.files} />}
      {changes.patch && <Patch patch={changes.patch} truncated={changes.truncated} />}
    </>
  );
}

/** "3 files changed, +10 −2", or "No files changed." */
export function summaryText(changes: RunChanges): string {
  const n = changes.files_changed;
  if (n === 0) return "No files changed.";
  return `${n} ${n === 1 ? "file" : "files"} changed, +${changes.insertions} −${changes.deletions}`;
}

const KIND_LETTERS: Record<FileChangeKind, string> = {
  added: "A",
  modified: "M",
  deleted: "D",
  renamed: "R",
};

function FileList({ files }: { files: FileChange[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? files : files.slice(0, FILE_LIMIT);
  return (
    <>
      <ul className="change-files" aria-label="Changed files">
        {shown.map((file) => (
          <li key={`${file.old_path ?? ""}\u0000${file.path}`} className="change-file" data-testid="run-changes-file">
            <abbr className={`change-kind change-${file.kind}`} title={file.kind}>
              {KIND_LETTERS[file.kind]}
            </abbr>
            <span className="change-path">
              {file.kind === "renamed" && file.old_path ? `${file.old_path} → ${file.path}` : file.path}
            </span>
            {file.binary ? (
              <span className="change-counts muted">binary</span>
            ) : (
              <span className="change-counts">
                <span className="count-add">+{file.insertions}</span>{" "}
                <span className="count-del">−{file.deletions}</span>
              </span>
            )}
          </li>
        ))}
      </ul>
      {shown.length < files.length && (
        <p className="muted small">
          Showing {shown.length} of {files.length} files.{" "}
          <button type="button" className="link" onClick={() => setAll(true)}>
            Show all
          </button>
        </p>
      )}
    </>
  );
}

/** The whole patch, collapsible; long ones render their first lines until asked for all. */
function Patch({ patch, truncated }: { patch: string; truncated: boolean }) {
  const [open, setOpen] = useState(true);
  const [all, setAll] = useState(false);
  const lines = useMemo(() => patch.replace(/\n$/, "").split("\n"), [patch]);
  const cut = !all && lines.length > PATCH_LINE_LIMIT;
  const text = useMemo(() => lines.slice(0, cut ? PATCH_LINE_LIMIT : undefined).join("\n"), [lines, cut]);
  return (
    <details className="patch" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Diff</summary>
      {/* Closed, the lines are not rendered at all. */}
      {open && (
        <>
          <Diff text={text} label="Diff of the run's changes" />
          {cut && (
            <p className="muted small">
              Showing the first {PATCH_LINE_LIMIT.toLocaleString()} of {lines.length.toLocaleString()} lines.{" "}
              <button type="button" className="link" onClick={() => setAll(true)}>
                Show all
              </button>
            </p>
          )}
        </>
      )}
      {truncated && <p className="muted small">The diff was cut at its size limit.</p>}
    </details>
  );
}
