import { useEffect, useState } from "react";
import * as api from "../../api";
import { errorText } from "../../api";
import type { Automation, Run, WorktreeChanges } from "../../api";
import { isPrimaryChord } from "../../actions";
import { href, navigate } from "../../routing";
import { useStore } from "../../stores/observable";
import { isActive, runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";

/**
 * "Follow up": continue a finished run's conversation with a new message. The engine starts
 * a new attended run of the same automation that gets this run's transcript, then the
 * message; the page moves to it.
 */
export function FollowUp({ run, automation }: { run: Run; automation: Automation | undefined }) {
  const [message, setMessage] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inWorktree = automation?.placement.kind === "worktree";
  const review = useWorktreeReview(run, inWorktree);
  // Only a run that has ended and talked to the model has a conversation to continue; the
  // automation must still be there to run it.
  if (isActive(run.state) || !run.session_id || !automation) return null;
  // The engine refuses these; say why before anyone types.
  if (review?.review === "superseded") {
    return (
      <p className="follow-up-note muted" data-testid="follow-up-unavailable">
        This run's changes continue in{" "}
        {review.superseded_by ? <a href={href({ view: "run", runId: review.superseded_by })}>its follow-up</a> : "its follow-up"}
        : follow up there to build on both.
      </p>
    );
  }
  if (review?.review === "discarded") {
    return (
      <p className="follow-up-note muted" data-testid="follow-up-unavailable">
        This run's changes were discarded, so there is nothing to follow up on: run the automation again to start over.
      </p>
    );
  }
  const where = !inWorktree
    ? "A new run of this automation that continues this conversation, with the same permissions."
    : review?.review === "pending"
      ? "A new run that continues this conversation in the same worktree, on top of these unapplied changes; its review then covers both."
      : "A new run that continues this conversation in the same worktree, starting from your branch.";
  const send = async () => {
    if (!message.trim() || sending) return;
    setSending(true);
    setError(null);
    try {
      const next = await api.followUpRun(run.id, message);
      runs.upsert(next);
      setMessage("");
      navigate({ view: "run", runId: next.id });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <form
      className="follow-up"
      aria-label="Follow up"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label htmlFor={`follow-up-${run.id}`}>Follow up</label>
      <textarea
        id={`follow-up-${run.id}`}
        data-testid="follow-up-message"
        rows={2}
        value={message}
        placeholder="Ask for more, e.g. now also fix the lint warning"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `follow-up-error-${run.id}` : undefined}
        onChange={(e) => setMessage(e.target.value)}
        onKeyDown={(e) => {
          if (isPrimaryChord(e.nativeEvent, "Enter")) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <div className="follow-up-actions">
        <span className="muted" data-testid="follow-up-where">
          {where}
        </span>
        <button type="submit" className="primary" data-testid="follow-up-send" disabled={sending || !message.trim()}>
          {sending ? "Starting…" : "Follow up"}
        </button>
      </div>
      {error && (
        <p className="error-text" role="alert" id={`follow-up-error-${run.id}`}>
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * A worktree run's review as it stands (it decides where a follow-up starts); null while
 * loading, for other runs, and when it cannot be read (the engine then says it on send).
 */
function useWorktreeReview(run: Run, inWorktree: boolean): WorktreeChanges | null {
  const [review, setReview] = useState<WorktreeChanges | null>(null);
  const tick = useStore(resyncTick);
  const ended = !isActive(run.state);
  useEffect(() => {
    if (!inWorktree || !ended) return;
    let live = true;
    api.getRunChanges(run.id).then(
      (changes) => {
        if (live) setReview(changes?.worktree ?? null);
      },
      () => {},
    );
    return () => {
      live = false;
    };
    // A follow-up superseding this run ends later: its revision refetches.
  }, [run.id, inWorktree, ended, run.revision, tick]);
  return review;
}

/** "Follow-up of" the run this one continues, with what was said to it. */
export function FollowUpOf({ run }: { run: Run }) {
  if (!run.follow_up) return null;
  return (
    <p className="follow-up-of" data-testid="follow-up-of">
      <span className="muted">Follows up </span>
      <a href={href({ view: "run", runId: run.follow_up.of })}>an earlier run</a>
      <span className="muted">: </span>
      <q>{run.follow_up.message}</q>
    </p>
  );
}
