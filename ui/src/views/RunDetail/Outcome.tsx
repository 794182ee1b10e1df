import { useEffect, useState } from "react";
import type { Run } from "../../api";
import { Markdown } from "../../components/Markdown";
import { ERROR_TITLES, providerFailure, runErrorMessage, sentence, STOP_REASONS, words } from "../../messages";
import { href } from "../../routing";
import { providerFixHref } from "../Connect/links";
import { notices } from "../../stores/notices";

/** How the run ended: its result, its error in plain words, or why it was stopped. */
export function Outcome({ run, providerId }: { run: Run; providerId?: string }) {
  if (run.state === "succeeded") {
    return (
      <section className="outcome outcome-ok" data-testid="run-result" aria-label="Result">
        <h2>Result</h2>
        {run.result ? <Markdown text={run.result} /> : <p className="outcome-message">Done.</p>}
      </section>
    );
  }
  if (run.state === "failed") {
    const error = run.error;
    // The provider's settings only when they are the fix; a passing failure wants a retry.
    const provider = error ? providerFailure(error) : null;
    return (
      <section className="outcome outcome-failed" data-testid="run-result" aria-label="Error" role="alert">
        <h2>{error ? (ERROR_TITLES[error.code] ?? sentence(words(error.code))) : "The run failed"}</h2>
        {error && <p className="outcome-message">{runErrorMessage(error.code, error.message)}</p>}
        {provider === "setup" && (
          <p className="outcome-links" data-testid="provider-fix">
            <a href={providerFixHref(providerId)}>Fix the provider</a> (its key, its address) or{" "}
            <a href={href({ view: "settings" })}>check it in Settings</a>
          </p>
        )}
        {provider === "transient" && (
          <p className="outcome-links" data-testid="provider-retry">
            It looks temporary (the provider was busy or slow): run it again in a moment.
          </p>
        )}
        {error && <ErrorCode runId={run.id} error={error} />}
      </section>
    );
  }
  if (run.state === "stopped") {
    const reason = run.stop_reason ? (STOP_REASONS[run.stop_reason] ?? words(run.stop_reason)) : null;
    return (
      <section className="outcome" data-testid="run-result" aria-label="Stopped">
        <h2>Stopped{reason ? `: ${reason}` : ""}</h2>
      </section>
    );
  }
  return null;
}

/** The engine's code, and a button that copies it with the raw message for support. */
function ErrorCode({ runId, error }: { runId: string; error: NonNullable<Run["error"]> }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(`run: ${runId}\ncode: ${error.code}\nmessage: ${error.message}`);
      setCopied(true);
    } catch (e) {
      notices.error("Could not copy the details", e);
    }
  };
  return (
    <p className="error-details muted">
      Code <code data-testid="error-code">{error.code}</code>{" "}
      <button type="button" className="link" onClick={() => void copy()}>
        {copied ? "Copied" : "Copy details"}
      </button>
    </p>
  );
}
