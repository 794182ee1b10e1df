import * as api from "../../api";
import { usePolled } from "../../hooks";

// Workers come and go with their leases; the list is asked for again while it is shown.
const REFRESH_MS = 5000;

/**
 * On a team database: the apps and daemons that take queued runs and the folders each serves.
 * A run goes to one that serves its automation's folder and has it on its machine.
 */
export function Workers() {
  // Best effort: the list only informs.
  const workers = usePolled(() => api.workers(), { everyMs: REFRESH_MS });
  if (workers === null) return null;
  return (
    <div className="database-workers" data-testid="workers">
      <h4>Computers that run automations</h4>
      {workers.length === 0 ? (
        <p className="muted">None is connected: queued runs wait until an app or a daemon connects.</p>
      ) : (
        <ul>
          {workers.map((worker) => (
            <li key={`${worker.name}-${worker.kind}-${worker.serves.join(",")}`}>
              <strong>{worker.name}</strong> <span className="muted">({worker.kind}{worker.this_process ? ", this app" : ""})</span>
              <span className="muted"> serves </span>
              {worker.serves.map((folder, i) => (
                <span key={folder}>
                  {i > 0 && ", "}
                  {folder === "/" ? "every folder it has" : <code>{folder}</code>}
                </span>
              ))}
            </li>
          ))}
        </ul>
      )}
      <p className="muted">A run goes to a computer that serves its automation's folder. On a server:</p>
      <code className="database-command">autowork daemon --store URL --serve /path/to/folder</code>
    </div>
  );
}
