import { ErrorBoundary } from "../../components/ErrorBoundary";
import { href } from "../../routing";
import { RunDetailView } from "../RunDetail/lazy";

/** The selected run beside the list, on windows wide enough for both. */
export function RunPane({ runId, onClose }: { runId: string; onClose: () => void }) {
  return (
    <aside className="run-pane" aria-label="Selected run" data-testid="run-pane">
      <div className="run-pane-bar">
        <a href={href({ view: "run", runId })}>Open full page</a>
        <button type="button" className="link" aria-label="Close the run" onClick={onClose}>
          Close
        </button>
      </div>
      {/* The run scrolls under the bar, so its own sticky header sticks to the bar's edge. */}
      <div className="run-pane-scroll">
        {/* Keyed: another run starts from nothing, and one that fails leaves the list usable. */}
        <ErrorBoundary key={runId} onBack={onClose}>
          <RunDetailView runId={runId} />
        </ErrorBoundary>
      </div>
    </aside>
  );
}
