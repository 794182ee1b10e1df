import type { PermissionAction, ValidationDetail } from "../../api";
import { FieldErrors } from "../../components/Field";
import { ruleRow, type RuleRow } from "./form";

const TOOLS = ["*", "read", "list", "glob", "grep", "write", "edit", "bash", "question"];
const ACTIONS: PermissionAction[] = ["allow", "ask", "deny"];

export function PermissionsTable({
  rules,
  onChange,
  errors,
}: {
  rules: RuleRow[];
  onChange: (rules: RuleRow[]) => void;
  errors: (...fields: string[]) => ValidationDetail[];
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
        ask you. The last matching rule wins. Patterns are globs over the path or the command
        (<code>cargo test*</code>, <code>src/*</code>).
      </p>
      <FieldErrors errors={errors("permissions")} />
      {rules.length > 0 && (
        <table className="rules">
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Pattern</th>
              <th scope="col">Action</th>
              <th scope="col">
                <span className="visually-hidden">Order</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => {
              const n = i + 1;
              const rowErrors = errors(
                `permissions[${i}]`,
                `permissions[${i}].tool`,
                `permissions[${i}].pattern`,
                `permissions[${i}].action`,
              );
              return (
                <tr key={r.key} className={rowErrors.length ? "invalid" : undefined}>
                  <td>
                    <select aria-label={`Rule ${n} tool`} value={r.tool} onChange={(e) => set(i, { tool: e.target.value })}>
                      {TOOLS.map((t) => (
                        <option key={t} value={t}>
                          {t === "*" ? "* (any tool)" : t}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      aria-label={`Rule ${n} pattern`}
                      className="mono"
                      value={r.pattern}
                      spellCheck={false}
                      onChange={(e) => set(i, { pattern: e.target.value })}
                    />
                    <FieldErrors errors={rowErrors} />
                  </td>
                  <td>
                    <select
                      aria-label={`Rule ${n} action`}
                      value={r.action}
                      onChange={(e) => set(i, { action: e.target.value as PermissionAction })}
                    >
                      {ACTIONS.map((a) => (
                        <option key={a} value={a}>
                          {a}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="rule-buttons">
                    <button type="button" aria-label={`Move rule ${n} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                      ↑
                    </button>
                    <button
                      type="button"
                      aria-label={`Move rule ${n} down`}
                      disabled={i === rules.length - 1}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      aria-label={`Remove rule ${n}`}
                      onClick={() => onChange(rules.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => onChange([...rules, ruleRow()])}>
        Add rule
      </button>
    </fieldset>
  );
}
