import { navigate } from "../../routing";

export function EmptyState() {
  return (
    <div className="empty">
      <h2>No automations yet</h2>
      <p>
        An automation is a task for a coding agent that you write once: a prompt, a model, the
        directory it works in, and when it runs: on a schedule (every night at 2:00, every
        Monday) or only when you click <strong>Run now</strong>. Each run is recorded with its
        transcript and cost; when the agent needs your permission or has a question, the run
        waits for you in the Inbox.
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => navigate({ view: "new" })}>
          Create your first automation
        </button>
        <button type="button" onClick={() => navigate({ view: "templates" })}>
          Start from a template
        </button>
      </div>
    </div>
  );
}
