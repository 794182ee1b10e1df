import type { ReactNode } from "react";
import type { Draft } from "../../api";

/** The engine's words, with its `backticked` commands and paths set as code. */
function Words({ text }: { text: string }): ReactNode {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** The draft in plain words, beside the filled editor: when, where, which model, what it may do without asking. */
export function DraftSummary({ draft }: { draft: Draft }) {
  const s = draft.summary;
  return (
    <section className="section draft-summary" data-testid="draft-summary" aria-label="The draft in plain words">
      <h2>The draft in plain words</h2>
      <dl>
        <dt>When</dt>
        <dd>
          {s.schedule}
          {s.next_fires_local.length > 0 && (
            <ol className="draft-fires" aria-label="Next fires">
              {s.next_fires_local.map((fire) => (
                <li key={fire}>{fire}</li>
              ))}
            </ol>
          )}
        </dd>
        <dt>Where</dt>
        <dd>
          {s.work_dir ? <code>{s.work_dir}</code> : "No work directory yet"}, {s.placement}
        </dd>
        <dt>Model</dt>
        <dd>{s.model ? <code>{s.model}</code> : "None yet"}</dd>
        <dt>Without asking it may</dt>
        <dd>
          <ul data-testid="draft-allowed">
            {s.allowed.map((line) => (
              <li key={line}>
                <Words text={line} />
              </li>
            ))}
          </ul>
        </dd>
        <dt>Internet</dt>
        <dd data-testid="draft-network">{s.network ? "Commands may reach it" : "Off: commands cannot reach it"}</dd>
      </dl>
      {draft.adjustments.length > 0 && (
        <div className="draft-adjustments" data-testid="draft-adjustments">
          <strong>Kept to least privilege:</strong>
          <ul>
            {draft.adjustments.map((a, i) => (
              <li key={i}>
                <Words text={capitalize(a.change)} /> because {a.reason}.
              </li>
            ))}
          </ul>
        </div>
      )}
      <p className="help">
        {draft.problems.length > 0
          ? `${draft.problems.length === 1 ? "One field needs" : `${draft.problems.length} fields need`} attention: see the messages next to them. `
          : ""}
        Nothing is saved until you press Create.
      </p>
    </section>
  );
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
