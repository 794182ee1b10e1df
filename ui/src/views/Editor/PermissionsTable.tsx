import { Fragment, useEffect, useRef, useState } from "react";
import type { PermissionAction, ValidationDetail } from "../../api";
import { FieldErrors } from "../../components/Field";
import { convertLegacy, needsEdit, ruleIndex, ruleRow, type RuleRow } from "./form";
import { TryCommand } from "./TryCommand";
import { splitWords } from "./words";

const TOOLS = ["*", "read", "list", "glob", "grep", "write", "edit", "bash", "question"];
const ACTIONS: PermissionAction[] = ["allow", "ask", "deny"];

export function PermissionsTable({
  rules,
  onChange,
  errors,
  details,
}: {
  rules: RuleRow[];
  onChange: (rules: RuleRow[]) => void;
  errors: (...fields: string[]) => ValidationDetail[];
  /** Every detail of the last save; each rule shows those about itself. */
  details: readonly ValidationDetail[];
}) {
  const set = (i: number, patch: Partial<RuleRow>) =>
    onChange(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const move = (i: number, by: number) => {
    const next = [...rules];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onChange(next);
  };
  return (
    <fieldset className="section">
      <legend>Permissions</legend>
      <p className="help">
        Without a matching rule, tools that only read are allowed, and edits and shell commands
        ask you. File rules match a path glob (<code>src/*</code>); the last matching one wins.
        Shell rules match a command by its words: <code>cargo test</code> matches{" "}
        <code>cargo test --all</code> but not <code>cargo testx</code>. The most specific rule
        decides each command, and a script runs without asking only when every command in it is
        allowed.
      </p>
      <FieldErrors errors={errors("permissions")} />
      {rules.length > 0 && (
        <ol className="rules">
          {rules.map((r, i) => (
            <RuleEditor
              key={r.key}
              rule={r}
              n={i + 1}
              last={i === rules.length - 1}
              details={details.filter((d) => ruleIndex(d.field) === i)}
              onSet={(patch) => set(i, patch)}
              onMove={(by) => move(i, by)}
              onRemove={() => onChange(rules.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
      )}
      <button type="button" onClick={() => onChange([...rules, ruleRow()])}>
        Add rule
      </button>
      <TryCommand rules={rules} />
    </fieldset>
  );
}

function RuleEditor({
  rule: r,
  n,
  last,
  details,
  onSet,
  onMove,
  onRemove,
}: {
  rule: RuleRow;
  n: number;
  last: boolean;
  details: ValidationDetail[];
  onSet: (patch: Partial<RuleRow>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const base = `permissions[${n - 1}]`;
  const shown = new Set<ValidationDetail>();
  // Details at these paths, or at an item of them (`.command[1]`).
  const under = (...paths: string[]) => {
    const found = details.filter((d) =>
      paths.some((p) => d.field === base + p || d.field.startsWith(`${base}${p}[`)),
    );
    found.forEach((d) => shown.add(d));
    return found;
  };
  const toolErrors = under(".tool");
  const commandErrors = under(".command", ".exact");
  const patternErrors = under(".pattern");
  const actionErrors = under(".action");
  const reasonErrors = under(".reason");
  const matchingErrors = under(".examples.matching");
  const notMatchingErrors = under(".examples.not_matching");
  const examplesErrors = under(".examples");
  const rest = details.filter((d) => !shown.has(d));

  const bash = r.tool === "bash";
  const legacy = needsEdit(r);
  const id = `rule-${r.key}`;
  const commandInput = useRef<HTMLInputElement>(null);
  const focusCommand = useRef(false);
  useEffect(() => {
    if (focusCommand.current && commandInput.current) {
      focusCommand.current = false;
      commandInput.current.focus();
    }
  });

  const exampleCount = [r.matching, r.notMatching].join("\n").split("\n").filter((l) => l.trim()).length;
  const [examplesOpen, setExamplesOpen] = useState(exampleCount > 0);
  const exampleErrors = matchingErrors.length + notMatchingErrors.length + examplesErrors.length;
  const showExamples = examplesOpen || exampleErrors > 0;

  return (
    <li className={details.length ? "rule invalid" : "rule"} aria-label={`Rule ${n}`} data-testid="rule">
      <div className="rule-line">
        <span className="rule-number" aria-hidden="true">
          {n}
        </span>
        <div className="rule-tool">
          <select
            aria-label={`Rule ${n} tool`}
            value={r.tool}
            aria-invalid={toolErrors.length > 0 || undefined}
            onChange={(e) => onSet({ tool: e.target.value })}
          >
            {TOOLS.map((t) => (
              <option key={t} value={t}>
                {t === "*" ? "* (any tool)" : t}
              </option>
            ))}
          </select>
          <FieldErrors errors={toolErrors} />
        </div>
        <div className="rule-target">
          {bash && legacy ? (
            <div className="legacy" data-testid="legacy-rule">
              <span className="badge badge-warn">Needs edit</span>{" "}
              <span>
                A glob from before command rules: <code className="legacy-glob">{r.pattern}</code>. It
                matches nothing until you turn it into a command.
              </span>
              <div className="inline">
                <button
                  type="button"
                  aria-label={`Convert rule ${n} to a command`}
                  onClick={() => {
                    focusCommand.current = true;
                    onSet(convertLegacy(r));
                  }}
                >
                  Convert
                </button>
              </div>
              <FieldErrors errors={patternErrors} />
            </div>
          ) : bash ? (
            <>
              <input
                ref={commandInput}
                aria-label={`Rule ${n} command`}
                aria-describedby={`${id}-words`}
                aria-invalid={commandErrors.length > 0 || undefined}
                className="mono"
                placeholder="cargo test"
                value={r.command}
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => onSet({ command: e.target.value })}
              />
              <Words id={`${id}-words`} text={r.command} exact={r.exact} />
              <label className="check">
                <input type="checkbox" checked={r.exact} onChange={(e) => onSet({ exact: e.target.checked })} />
                <span>
                  <span className="visually-hidden">Rule {n}</span>{" "}Exact: only these words, nothing after them
                </span>
              </label>
              <FieldErrors errors={commandErrors} />
            </>
          ) : (
            <>
              <input
                aria-label={`Rule ${n} pattern`}
                aria-invalid={patternErrors.length > 0 || undefined}
                className="mono"
                placeholder="src/*"
                value={r.pattern}
                spellCheck={false}
                onChange={(e) => onSet({ pattern: e.target.value })}
              />
              <FieldErrors errors={patternErrors} />
            </>
          )}
        </div>
        <div className="rule-action">
          <select
            aria-label={`Rule ${n} action`}
            value={r.action}
            aria-invalid={actionErrors.length > 0 || undefined}
            onChange={(e) => onSet({ action: e.target.value as PermissionAction })}
          >
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
          <FieldErrors errors={actionErrors} />
        </div>
        <div className="rule-buttons">
          <button type="button" aria-label={`Move rule ${n} up`} disabled={n === 1} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" aria-label={`Move rule ${n} down`} disabled={last} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" aria-label={`Remove rule ${n}`} onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
      <div className="rule-more">
        <input
          aria-label={`Rule ${n} reason`}
          aria-invalid={reasonErrors.length > 0 || undefined}
          className="rule-reason"
          placeholder="Reason (optional): shown when this rule decides a call"
          value={r.reason}
          maxLength={500}
          onChange={(e) => onSet({ reason: e.target.value })}
        />
        <FieldErrors errors={reasonErrors} />
        {bash && (
          <>
            <button
              type="button"
              className="link disclosure"
              aria-expanded={showExamples}
              aria-controls={`${id}-examples`}
              onClick={() => setExamplesOpen(!showExamples)}
            >
              <span aria-hidden="true">{showExamples ? "▾" : "▸"}</span>{" "}
              <span className="visually-hidden">Rule {n}</span>{" "}Examples
              {exampleCount > 0 ? ` (${exampleCount})` : ""}
            </button>
            {showExamples && (
              <div id={`${id}-examples`} className="examples">
                <div className="grid-2">
                  <div className={matchingErrors.length ? "field field-invalid" : "field"}>
                    <label htmlFor={`${id}-matching`}>
                      <span className="visually-hidden">Rule {n}</span>{" "}Must match
                    </label>
                    <textarea
                      id={`${id}-matching`}
                      className="mono"
                      rows={3}
                      spellCheck={false}
                      placeholder="cargo test --all"
                      value={r.matching}
                      onChange={(e) => onSet({ matching: e.target.value })}
                    />
                    <FieldErrors errors={matchingErrors} />
                  </div>
                  <div className={notMatchingErrors.length ? "field field-invalid" : "field"}>
                    <label htmlFor={`${id}-not-matching`}>
                      <span className="visually-hidden">Rule {n}</span>{" "}Must not match
                    </label>
                    <textarea
                      id={`${id}-not-matching`}
                      className="mono"
                      rows={3}
                      spellCheck={false}
                      placeholder="cargo testx"
                      value={r.notMatching}
                      onChange={(e) => onSet({ notMatching: e.target.value })}
                    />
                    <FieldErrors errors={notMatchingErrors} />
                  </div>
                </div>
                <FieldErrors errors={examplesErrors} />
                <p className="help">One command per line. They are checked against this rule when you save.</p>
              </div>
            )}
          </>
        )}
        <FieldErrors errors={rest} />
      </div>
    </li>
  );
}

/** The words a command rule matches, as the engine will see them. */
function Words({ id, text, exact }: { id: string; text: string; exact: boolean }) {
  const { words, unclosed } = splitWords(text);
  if (words.length === 0) {
    return (
      <div id={id} className="help">
        Type the command as you would in a shell, such as <code>cargo test</code>.
      </div>
    );
  }
  return (
    <div id={id} className="words help" data-testid="rule-words">
      {exact ? "Matches exactly" : "Matches commands starting with"}{" "}
      {words.map((w, i) => (
        <Fragment key={i}>
          {i > 0 && " "}
          <code className="word">{w}</code>
        </Fragment>
      ))}
      {!exact && <span aria-hidden="true"> …</span>}
      {unclosed && <span className="warn-text"> (a quote is not closed)</span>}
    </div>
  );
}
