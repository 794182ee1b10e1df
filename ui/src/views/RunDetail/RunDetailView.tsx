import { useEffect, useMemo, useRef, useState } from "react";
import * as api from "../../api";
import { errorText } from "../../api";
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
import { FollowUp, FollowUpOf } from "./FollowUp";
import { RunThread } from "./Thread";
import { Outcome } from "./Outcome";
import { RunHeader } from "./RunHeader";
import { ranShellCommand } from "./rows";
import { Transcript } from "./Transcript";
import "./run-detail.css";

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
  const ranShell = useMemo(() => ranShellCommand(state), [state]);

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
  // One scroll for the page: what happened first (the outcome, what changed), then the
  // transcript, whose end is followed while the run streams; what the run waits for comes
  // last, where a reader following the run is looking.
  return (
    <section className="view run-detail">
      <RunHeader run={run} automation={automation} />
      <CrashOriginals run={run} />
      <FollowUpOf run={run} />
      <RunThread run={run} />
      <Outcome run={run} providerId={automation?.model.provider_id} />
      {/* Keyed: a draft belongs to the run it follows up. */}
      <FollowUp key={`follow-up-${run.id}`} run={run} automation={automation} />
      {/* Keyed: another run's changes start from nothing, not from this one's. */}
      <RunChangesSection key={run.id} run={run} ranShell={ranShell} />
      <Transcript state={state} run={run} />
      {run.state === "awaiting_input" && run.blocker && <BlockerPanel blocker={run.blocker} />}
    </section>
  );
}
