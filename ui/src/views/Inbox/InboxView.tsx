import { useEffect, useMemo } from "react";
import type { Run } from "../../api";
import { StateChip } from "../../components/StateChip";
import { relativeTime, runReason } from "../../format";
import { useNow } from "../../hooks";
import { navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { inboxStore } from "../../stores/inbox";
import { notices } from "../../stores/notices";
import { useStore } from "../../stores/observable";
import { newestFirst, runs } from "../../stores/runs";

function needs(run: Run): string {
  const b = run.blocker;
  if (b?.kind === "permission") return `wants to use ${b.tool}: ${b.summary}`;
  if (b?.kind === "question") return `asks: ${b.questions.map((q) => q.question).join(" · ")}`;
  if (run.state === "succeeded") return run.result?.split("\n")[0] ?? "Finished";
  if (run.state === "failed") return run.error?.message ?? "Failed";
  return runReason(run) ?? run.state;
}

export function InboxView() {
  const inbox = useStore(inboxStore);
  const all = useStore(runs);
  const titles = useStore(automations);
  const now = useNow(60_000);

  useEffect(() => {
    inboxStore.reload().catch((e: unknown) => notices.error("Could not load the inbox", e));
    return () => inboxStore.forgetRead();
  }, []);

  const items = useMemo(
    () => inbox.ids.map((id) => all.get(id)).filter((r): r is Run => r !== undefined).sort(newestFirst),
    [inbox.ids, all],
  );

  return (
    <section className="view">
      <header className="view-header">
        <h1>Inbox</h1>
      </header>
      {items.length === 0 ? (
        <div className="empty">
          <h2>Nothing needs you</h2>
          <p>Runs that wait for your answer and runs that finished since you last looked show up here.</p>
        </div>
      ) : (
        <ul className="rows" aria-label="Runs that need you">
          {items.map((run) => {
            const unread = run.state === "awaiting_input" || !inbox.read.has(run.id);
            return (
              <li key={run.id} className={unread ? "row inbox-item unread" : "row inbox-item"} data-testid="inbox-item">
                <span className="unread-dot" aria-label={unread ? "Unread" : undefined} />
                <button
                  type="button"
                  className="row-button"
                  onClick={() => navigate({ view: "run", runId: run.id })}
                >
                  <span className="row-main">
                    <span className="row-title">{titles.get(run.automation_id)?.title ?? "Automation"}</span>
                    <span className="row-sub">{needs(run)}</span>
                  </span>
                  <StateChip state={run.state} />
                  <span className="muted">{relativeTime(run.finished_at ?? run.queued_at, now)}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
