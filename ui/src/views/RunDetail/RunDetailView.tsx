import { useEffect, useRef, useState } from "react";
import * as api from "../../api";
import { errorText, type Run } from "../../api";
import { runNowAndOpen } from "../../actions";
import { useRunNowKey } from "../../hooks";
import { automations } from "../../stores/automations";
import { inboxStore } from "../../stores/inbox";
import { useStore } from "../../stores/observable";
import { isActive, runs } from "../../stores/runs";
import { resyncTick } from "../../stores/sync";
import { useTranscript } from "../../stores/transcripts";
import { BlockerPanel } from "./BlockerPanel";
import { RunChangesSection } from "./Changes";
import { CrashOriginals } from "./CrashOriginals";
import { RunHeader } from "./RunHeader";
import { Transcript } from "./Transcript";

export function RunDetailView({ runId }: { runId: string }) {
  const { store, state } = useTranscript(runId);
  const run = useStore(runs, (m) => m.get(runId));
  const automation = useStore(automations, (m) => (run ? m.get(run.automation_id) : undefined));
  const tick = useStore(resyncTick);
  const [loadError, setLoadError] = useState<unknown>(null);

  useEffect(() => {
    store.load().then(
      () => setLoadError(null),
      (e: unknown) => setLoadError(e),
    );
  }, [store, tick]);

  // The shell skips the notification for the run the user is looking at.
  useEffect(() => {
    api.setFocusedRun(runId).catch(() => {});
    return () => void api.setFocusedRun(null).catch(() => {});
  }, [runId]);

  const finished = run !== undefined && !isActive(run.state);
  const marked = useRef(false);
  useEffect(() => {
    if (!finished || marked.current) return;
    marked.current = true;
    inboxStore.markRead(runId);
    api.markSeen([runId]).catch(() => {});
  }, [finished, runId]);

  useRunNowKey(run ? () => void runNowAndOpen(run.automation_id) : null);

  if (!run) {
    return (
      <section className="view">
        {loadError ? (
          <p className="error-text" role="alert">
            Could not open the run: {errorText(loadError)}
          </p>
        ) : (
          <p className="muted" aria-busy="true">
            Loading…
          </p>
        )}
      </section>
    );
  }
  return (
    <section className="view run-detail">
      <RunHeader run={run} automation={automation} />
      <CrashOriginals run={run} />
      {run.state === "awaiting_input" && run.blocker && <BlockerPanel blocker={run.blocker} />}
      <Transcript state={state} />
      <Outcome run={run} />
      {/* Keyed: another run's changes start from nothing, not from this one's. */}
      <RunChangesSection key={run.id} run={run} />
    </section>
  );
}

function Outcome({ run }: { run: Run }) {
  if (run.state === "succeeded") {
    return (
      <section className="outcome outcome-ok" data-testid="run-result" aria-label="Result">
        <h2>Result</h2>
        <div className="prose">{run.result ?? "Done."}</div>
      </section>
    );
  }
  if (run.state === "failed" && run.error) {
    return (
      <section className="outcome outcome-failed" data-testid="run-result" aria-label="Error" role="alert">
        <h2>Failed: {run.error.code.replace(/_/g, " ")}</h2>
        <div className="prose">{run.error.message}</div>
      </section>
    );
  }
  if (run.state === "stopped") {
    return (
      <section className="outcome" data-testid="run-result" aria-label="Stopped">
        <h2>Stopped{run.stop_reason ? `: ${run.stop_reason.replace(/_/g, " ")}` : ""}</h2>
      </section>
    );
  }
  return null;
}
