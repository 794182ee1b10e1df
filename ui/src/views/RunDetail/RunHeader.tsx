import { useLayoutEffect, useRef, useState } from "react";
import * as api from "../../api";
import { runNowAndOpen } from "../../actions";
import type { Automation, Run } from "../../api";
import { SandboxBadges } from "../../components/SandboxBadges";
import { StateChip } from "../../components/StateChip";
import { formatCost, formatDateTime, formatTokens, runDuration, runReason } from "../../format";
import { useNow } from "../../hooks";
import { href } from "../../routing";
import { notices } from "../../stores/notices";
import { isActive, runs } from "../../stores/runs";
import { BusyHolder } from "./BusyHolder";
import { QueueWait } from "./QueueWait";

export function RunHeader({ run, automation }: { run: Run; automation: Automation | undefined }) {
  const now = useNow(isActive(run.state) ? 1000 : 60_000);
  const [cancelling, setCancelling] = useState(false);
  const cancel = async () => {
    setCancelling(true);
    try {
      runs.upsert(await api.cancelRun(run.id));
    } catch (e) {
      notices.error("Could not cancel", e);
    } finally {
      setCancelling(false);
    }
  };
  const [retrying, setRetrying] = useState(false);
  const retry = async () => {
    setRetrying(true);
    await runNowAndOpen(run.automation_id);
    setRetrying(false);
  };
  const head = useHeaderHeight();
  const how = run.trigger === "manual" ? "Run now" : run.trigger === "schedule" ? "Scheduled run" : "Catch-up run";
  return (
    <>
      {/* Sticky: which run it is, and what can be done to it, stay in view down the page. */}
      <header ref={head} className="view-header run-header">
        <h1>
          <a href={href({ view: "runs", automationId: run.automation_id })}>{automation?.title ?? "Automation"}</a>
          {automation && (
            <>
              {" "}
              <SandboxBadges automation={automation} />
            </>
          )}
        </h1>
        <div className="header-actions">
          {isActive(run.state) && (
            <button type="button" className="danger" data-testid="cancel-run" disabled={cancelling} onClick={() => void cancel()}>
              Cancel run
            </button>
          )}
          {/* A new run of the automation as it is now; none once the automation is gone. */}
          {(run.state === "failed" || run.state === "stopped") && automation && (
            <button
              type="button"
              className="primary"
              data-testid="retry-run"
              title="Start a new run of this automation"
              disabled={retrying}
              onClick={() => void retry()}
            >
              Retry
            </button>
          )}
        </div>
      </header>
      <div className="run-facts">
        <StateChip state={run.state} reason={runReason(run)} testId="run-state" />
        <span className="muted">
          {how}
          {run.attendance === "unattended" ? " (unattended)" : ""}
        </span>
        <dl className="stats">
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(run.started_at ?? run.queued_at)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{runDuration(run, now)}</dd>
          </div>
          <div>
            <dt>Steps</dt>
            <dd>{run.steps}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>
              {formatTokens(run.tokens_in)} in · {formatTokens(run.tokens_out)} out
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{formatCost(run.cost_usd)}</dd>
          </div>
          {/* Where it runs: on a team database, the machine whose app or daemon drives it. */}
          {run.worker && (
            <div>
              <dt>Runs on</dt>
              <dd data-testid="run-worker">{run.worker}</dd>
            </div>
          )}
        </dl>
      </div>
      <QueueWait run={run} />
      <BusyHolder run={run} />
    </>
  );
}

/**
 * Keeps `--run-header-height` on the run page at the sticky header's height: what sticks
 * under it (the transcript's search bar) and what scrolls into view below it start there.
 */
function useHeaderHeight() {
  const head = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    const el = head.current;
    const page = el?.parentElement;
    if (!el || !page || typeof ResizeObserver === "undefined") return;
    const set = () => page.style.setProperty("--run-header-height", `${el.offsetHeight}px`);
    set();
    const observer = new ResizeObserver(set);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return head;
}
