import { useState, type ReactNode } from "react";
import * as api from "../../api";
import type { ApplyOutcome, RunChanges, WorktreeChanges } from "../../api";
import { Dialog } from "../../components/Dialog";
import { href } from "../../routing";
import { notices } from "../../stores/notices";

const shortCommit = (commit: string) => commit.slice(0, 7);

/** Outcomes of Apply worth keeping on screen (the notice says "already applied"). */
type Shown = Exclude<ApplyOutcome, { kind: "already_applied" }>;

/**
 * A worktree run's branch and review state; while pending, applies the run's commit to the
 * workspace's branch or discards it.
 */
export function WorktreeReview({
  runId,
  worktree,
  onWorktree,
  onChanges,
  onStale,
}: {
  runId: string;
  worktree: WorktreeChanges;
  /** Apply succeeded: the review as it now stands. */
  onWorktree: (worktree: WorktreeChanges) => void;
  /** Discard succeeded: the changes as the engine now records them. */
  onChanges: (changes: RunChanges) => void;
  /** A request failed: the review may have moved elsewhere (another window, the CLI). */
  onStale: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [outcome, setOutcome] = useState<Shown | null>(null);

  const apply = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const result = await api.applyRun(runId);
      if (result.kind === "applied") {
        const files = result.files.length === 1 ? "1 file" : `${result.files.length} files`;
        notices.show(`Applied ${files} to the workspace as ${shortCommit(result.commit)}.`);
        onWorktree({ ...worktree, review: "applied", applied_commit: result.commit });
        setOutcome(result);
      } else if (result.kind === "already_applied") {
        notices.show("The workspace's branch already has these changes.");
        onWorktree({ ...worktree, review: "applied", applied_commit: null });
      } else {
        setOutcome(result);
      }
    } catch (e) {
      notices.error("Could not apply", e);
      onStale();
    } finally {
      setBusy(false);
    }
  };

  const discard = async () => {
    setAsking(false);
    setBusy(true);
    setOutcome(null);
    try {
      onChanges(await api.discardRun(runId));
      notices.show("Discarded the run's changes.");
    } catch (e) {
      notices.error("Could not discard", e);
      onStale();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="worktree-review">
      <dl className="paths">
        <dt>Branch</dt>
        <dd className="mono">
          {worktree.branch}
          {worktree.commit && <span className="muted"> at {shortCommit(worktree.commit)}</span>}
        </dd>
        <dt>Worktree</dt>
        <dd className="mono">{worktree.path}</dd>
      </dl>
      <p className={`review-state review-${worktree.review}`} data-testid="run-review" role="status">
        {reviewText(worktree)}
      </p>
      {worktree.review === "pending" && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            data-testid="apply-run"
            disabled={busy}
            aria-busy={busy}
            onClick={() => void apply()}
          >
            Apply to workspace
          </button>
          <button
            type="button"
            className="danger"
            data-testid="discard-run"
            disabled={busy}
            onClick={() => setAsking(true)}
          >
            Discard
          </button>
        </div>
      )}
      {outcome && <ApplyResult outcome={outcome} />}
      {asking && (
        <Dialog title="Discard this run's changes?" onClose={() => setAsking(false)}>
          <p>
            The run's commit leaves <code>{worktree.branch}</code> and cannot be applied later. The
            workspace is not touched.
          </p>
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Keep them
            </button>
            <button type="button" className="danger" onClick={() => void discard()}>
              Discard
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function reviewText(worktree: WorktreeChanges): ReactNode {
  switch (worktree.review) {
    case "superseded":
      // Applying or discarding happens on the follow-up, whose commit holds these changes too.
      return (
        <>
          Continued by{" "}
          {worktree.superseded_by ? (
            <a href={href({ view: "run", runId: worktree.superseded_by })} data-testid="superseded-by">
              a follow-up
            </a>
          ) : (
            "a follow-up"
          )}
          : its review holds these changes and its own. Apply or discard them there.
        </>
      );
    case "pending":
      return "Waiting for review: apply the changes to the workspace, or discard them.";
    case "applied":
      return worktree.applied_commit
        ? `Applied as ${shortCommit(worktree.applied_commit)}.`
        : "Applied: the workspace's branch already had these changes.";
    case "discarded":
      return "Discarded.";
    case "empty":
      return "Nothing to review: the run changed nothing.";
  }
}

const MAX_LISTED = 20;

/** What the last Apply in this view did: the files it committed, or why it changed nothing. */
function ApplyResult({ outcome }: { outcome: Shown }) {
  if (outcome.kind === "applied") {
    return (
      <div className="apply-result apply-ok" data-testid="apply-outcome">
        Committed to the workspace's branch: <PathList paths={outcome.files} />
      </div>
    );
  }
  return (
    <div className="apply-result banner banner-warn" data-testid="apply-outcome" role="alert">
      <strong>
        {outcome.kind === "conflict"
          ? "The changes conflict with the workspace's branch; nothing was changed."
          : "Uncommitted changes in the workspace touch the same files; nothing was changed."}
      </strong>
      <PathList paths={outcome.paths} />
      <p className="small">{outcome.message}</p>
    </div>
  );
}

function PathList({ paths }: { paths: string[] }) {
  const more = paths.length - MAX_LISTED;
  return (
    <ul className="apply-paths">
      {paths.slice(0, MAX_LISTED).map((path) => (
        <li key={path}>
          <code>{path}</code>
        </li>
      ))}
      {more > 0 && <li className="muted">and {more} more</li>}
    </ul>
  );
}
