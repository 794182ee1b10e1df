import { Fragment, useEffect, useMemo, useState, type ReactNode } from "react";
import * as api from "../../api";
import { errorText, type BashDecision, type RuleRef } from "../../api";
import { ActionChip } from "../../components/ActionChip";
import { checkableRules, type RuleRow } from "./form";
import { joinWords } from "./words";

/** Typing pauses this long before the rules are asked. */
const DEBOUNCE_MS = 150;

type Answer = { key: string; positions: number[] } & (
  | { status: "ok"; decision: BashDecision }
  | { status: "error"; error: unknown }
);

/**
 * A command tried against the rules as they are in the form (saved or not): what each
 * command in it gets, and why. Nothing runs.
 */
export function TryCommand({ rules }: { rules: RuleRow[] }) {
  const [text, setText] = useState("");
  const [answer, setAnswer] = useState<Answer | null>(null);
  const checkable = useMemo(() => checkableRules(rules), [rules]);
  // Positions are in the key too: the engine numbers the rules it is given, not the form's.
  const key = text.trim() ? JSON.stringify([checkable.rules, checkable.positions, text]) : "";

  useEffect(() => {
    if (!key) return;
    let live = true;
    const [wire, positions, command] = JSON.parse(key) as [
      Parameters<typeof api.checkCommand>[0],
      number[],
      string,
    ];
    const timer = setTimeout(() => {
      // Through a promise, so that even a throw shows as an error rather than "Checking…".
      Promise.resolve(wire)
        .then((rules) => api.checkCommand(rules, command))
        .then(
          (decision) => live && setAnswer({ key, positions, status: "ok", decision }),
          (error: unknown) => live && setAnswer({ key, positions, status: "error", error }),
        );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);

  return (
    <div className="try-command">
      <label htmlFor="try-command">Try a command</label>
      <textarea
        id="try-command"
        className="mono"
        rows={2}
        spellCheck={false}
        autoComplete="off"
        placeholder="cargo test --all && git status"
        value={text}
        aria-describedby="try-command-result"
        onChange={(e) => setText(e.target.value)}
      />
      <div id="try-command-result" className="try-result" aria-live="polite" aria-busy={!!key && answer?.key !== key}>
        {!key ? (
          <p className="help">
            Type a command as the agent would run it, such as <code>cargo test --all &amp;&amp; git status</code>,
            to see what these rules (unsaved changes included) decide. Nothing runs.
          </p>
        ) : !answer ? (
          <p className="help">Checking…</p>
        ) : answer.status === "error" ? (
          <p className="error-text">Could not check the command: {errorText(answer.error)}</p>
        ) : (
          // While a new answer is on its way the last one stays (no flicker).
          <DecisionView decision={answer.decision} positions={answer.positions} />
        )}
      </div>
    </div>
  );
}

function DecisionView({ decision: d, positions }: { decision: BashDecision; positions: number[] }) {
  const ruleName = (ref: RuleRef) => `rule ${(positions[ref.index] ?? ref.index) + 1}`;
  const because = (ref: RuleRef) => `${ruleName(ref)}: ${ref.rule}${ref.reason ? ` — ${ref.reason}` : ""}`;
  return (
    <div data-testid="try-decision">
      <p className="try-summary">
        <ActionChip action={d.action} testId="try-action" /> {sentence(d, ruleName)}
      </p>
      {d.commands.length > 0 && (
        <ul className="decisions" aria-label="Commands">
          {d.commands.map((c, i) => (
            <li key={i} data-testid="try-command-row">
              <ActionChip action={c.action} />{" "}
              <code>{joinWords(c.argv)}</code>
              {c.via.length > 0 && <span className="muted"> inside {c.via.join(", ")}</span>}
              <span className="decided-by">
                {" "}
                · {c.rule ? because(c.rule) : "no rule: asks by default"}
              </span>
            </li>
          ))}
        </ul>
      )}
      {d.text_rules.length > 0 && (
        <ul className="decisions" aria-label="Rules on the command text">
          {d.text_rules.map((r, i) => (
            <li key={i}>{because(r)} (matches the command text)</li>
          ))}
        </ul>
      )}
      {d.opaque.length > 0 && (
        <div className="opaque">
          <p>No rule can allow this script, because it uses:</p>
          <ul aria-label="Why no rule can allow it">
            {d.opaque.map((o, i) => (
              <li key={i}>{o}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** The decision in one sentence, like the blocker's reason. */
function sentence(d: BashDecision, ruleName: (r: RuleRef) => string): ReactNode {
  if (d.action === "allow") return "Runs without asking: a rule allows every command in it.";
  const denied = d.commands.find((c) => c.action === "deny");
  if (d.action === "deny") {
    if (denied) {
      return (
        <>
          Denied: <code>{joinWords(denied.argv)}</code> is denied
          {denied.rule ? ` by ${ruleName(denied.rule)}` : ""}.
        </>
      );
    }
    const textRule = d.text_rules[0];
    return `Denied${textRule ? ` by ${ruleName(textRule)}, which matches the command text` : ""}.`;
  }
  if (d.opaque.length > 0) return "Asks you: no rule can allow this script, only you can (once).";
  if (d.commands.length === 0) return "Asks you: there is no command in it to match.";
  const asking = d.commands.filter((c) => c.action === "ask");
  if (asking.length === 0) return "Asks you: a rule on the command text asks.";
  return (
    <>
      Asks you before it runs:{" "}
      {asking.map((c, i) => (
        <Fragment key={i}>
          {i > 0 && ", "}
          <code>{joinWords(c.argv)}</code>
        </Fragment>
      ))}{" "}
      {asking.length === 1 ? "is" : "are"} not allowed by a rule.
    </>
  );
}
