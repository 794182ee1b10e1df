import type { Automation } from "../../api";
import { changedFields, formFromAutomation, type Form } from "./form";

/** Another change landed while the user edited: show what it changed, offer a choice. */
export function ConflictBanner({
  current,
  base,
  onReload,
  onKeep,
}: {
  current: Automation;
  base: Form;
  onReload: () => void;
  onKeep: () => void;
}) {
  const theirs = changedFields(base, formFromAutomation(current));
  const entries = Object.entries(theirs);
  return (
    <div className="banner banner-warn" role="alert" data-testid="conflict">
      <strong>This automation changed meanwhile</strong>
      <p>
        Someone (another window, the command line, or an “Always allow”) saved revision{" "}
        {current.revision}. {entries.length ? "Its current values:" : ""}
      </p>
      {entries.length > 0 && (
        <dl className="conflict-values">
          {entries.map(([field, value]) => (
            <div key={field}>
              <dt>{field.replace(/_/g, " ")}</dt>
              <dd className="mono">{typeof value === "string" ? value : JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="actions">
        <button type="button" onClick={onReload}>
          Reload (discard my changes)
        </button>
        <button type="button" className="primary" onClick={onKeep}>
          Keep editing
        </button>
      </div>
    </div>
  );
}
