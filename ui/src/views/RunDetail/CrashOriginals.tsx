import { useEffect, useState } from "react";
import * as api from "../../api";
import { errorText, type Original, type Run } from "../../api";
import { Dialog } from "../../components/Dialog";
import { notices } from "../../stores/notices";
import { useStore } from "../../stores/observable";
import { resyncTick } from "../../stores/sync";

/** Rows of the file list rendered before "Show all". */
const FILE_LIMIT = 50;

const files = (n: number) => (n === 1 ? "1 file" : `${n} files`);

/** Only a run ended by a crash keeps originals (a run that ends normally drops them). */
export const endedByCrash = (run: Run) =>
  run.state === "stopped" && (run.stop_reason === "expired" || run.stop_reason === "blocker_lost");

type Loaded = { originals: Original[] } | { error: unknown } | { restored: string[] };

/**
 * The originals a crashed run left of the files it changed in place, and Restore originals,
 * which puts them back. Renders nothing for other runs.
 */
export function CrashOriginals({ run }: { run: Run }) {
  const crashed = endedByCrash(run);
  const tick = useStore(resyncTick);
  const [reloads, setReloads] = useState(0);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    if (!crashed) return;
    let live = true;
    api.getRunOriginals(run.id).then(
      (originals) => {
        // A restore shown in this view stays shown: the list is empty after it anyway.
        if (live) setLoaded((kept) => (kept && "restored" in kept && !originals.length ? kept : { originals }));
      },
      (error: unknown) => {
        if (live) setLoaded({ error });
      },
    );
    return () => {
      live = false;
    };
  }, [run.id, crashed, tick, reloads]);

  if (!crashed || loaded === null) return null;
  if ("restored" in loaded) {
    return (
      <p className="originals-restored" data-testid="originals-restored" role="status">
        Restored {files(loaded.restored.length)} to how they were before the run.
      </p>
    );
  }
  if ("error" in loaded) {
    return (
      <p className="error-text" role="alert">
        Could not read the originals this run kept: {errorText(loaded.error)}
      </p>
    );
  }
  if (loaded.originals.length === 0) return null;
  return (
    <OriginalsCallout
      runId={run.id}
      originals={loaded.originals}
      onRestored={(restored) => setLoaded({ restored })}
      onStale={() => setReloads((n) => n + 1)}
    />
  );
}

function OriginalsCallout({
  runId,
  originals,
  onRestored,
  onStale,
}: {
  runId: string;
  originals: Original[];
  onRestored: (paths: string[]) => void;
  /** A restore failed: some files may be back already, so the list is read again. */
  onStale: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [all, setAll] = useState(false);
  const shown = all ? originals : originals.slice(0, FILE_LIMIT);

  const restore = async () => {
    setAsking(false);
    setBusy(true);
    try {
      onRestored(await api.restoreRunOriginals(runId));
    } catch (e) {
      notices.error("Could not restore the originals", e);
      setBusy(false);
      onStale();
    }
  };

  return (
    <section className="banner banner-warn originals" data-testid="run-originals" aria-labelledby="run-originals-title">
      <h2 id="run-originals-title">Interrupted by a crash</h2>
      <p>
        This run was interrupted by a crash after changing {files(originals.length)} in place. Their
        originals are kept.
      </p>
      <ul className="originals-files" aria-label="Files with kept originals">
        {shown.map((original) => (
          <li key={original.path} data-testid="run-originals-file">
            <code>{original.path}</code>
            {original.blob === null && <span className="muted"> (created by the run)</span>}
          </li>
        ))}
      </ul>
      {shown.length < originals.length && (
        <p className="muted small">
          Showing {shown.length} of {originals.length} files.{" "}
          <button type="button" className="link" onClick={() => setAll(true)}>
            Show all
          </button>
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className="primary"
          data-testid="restore-originals"
          disabled={busy}
          aria-busy={busy}
          onClick={() => setAsking(true)}
        >
          Restore originals
        </button>
      </div>
      {asking && (
        <Dialog title="Restore the originals?" onClose={() => setAsking(false)}>
          <p>
            Restoring puts {files(originals.length)} back as they were before the run and removes
            the ones it created. Anything changed in them since is lost.
          </p>
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Keep the files as they are
            </button>
            <button type="button" className="danger" onClick={() => void restore()}>
              Restore
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
