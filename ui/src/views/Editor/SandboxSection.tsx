import { useState } from "react";
import type { ValidationDetail } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import { envNames, pathRow, writablePaths, type Form, type PathRow } from "./form";

type Errors = (...fields: string[]) => ValidationDetail[];

/** The OS sandbox around the processes a run starts; only the owner changes it. */
export function SandboxSection({
  form,
  update,
  errors,
}: {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
}) {
  const off = form.sandboxMode === "off";
  const rows = form.sandboxWritable;
  // The engine numbers the paths it was sent; blank rows are not sent.
  const sent = writablePaths(form);
  const envErrors = [
    ...errors("sandbox.env"),
    ...envNames(form).flatMap((_, i) => errors(`sandbox.env[${i}]`)),
  ];
  const rowErrors = (row: number) => {
    const i = sent.findIndex((p) => p.row === row);
    return i < 0 ? [] : errors(`sandbox.writable[${i}]`);
  };
  const [added, setAdded] = useState<number | null>(null);
  const setRows = (sandboxWritable: PathRow[]) => update({ sandboxWritable });

  return (
    <fieldset className="section" data-testid="sandbox-section">
      <legend>Sandbox</legend>
      <p className="help">
        Every process a run starts (shell commands and whatever they run) is confined by the
        operating system: it can write only in the work directory (or its worktree), a temporary
        directory and the paths below, and cannot read secrets such as <code>~/.ssh</code>. The
        agent cannot change this.
      </p>
      <fieldset className="choices">
        <legend>Mode</legend>
        <label className="choice">
          <input
            type="radio"
            name="sandbox-mode"
            value="enforce"
            checked={!off}
            onChange={() => update({ sandboxMode: "enforce" })}
          />
          Enforce (recommended)
        </label>
        <label className="choice">
          <input
            type="radio"
            name="sandbox-mode"
            value="off"
            checked={off}
            onChange={() => update({ sandboxMode: "off" })}
          />
          Off
        </label>
        <FieldErrors errors={errors("sandbox", "sandbox.mode")} />
      </fieldset>
      {off && (
        <div className="banner banner-warn" role="note" data-testid="sandbox-off-warning">
          <strong>The sandbox is off.</strong> Processes run with your full access: they can read
          your keys and tokens, change or delete any file you can, and use the network. Use this
          only for work you trust, when the sandbox is in its way.
        </div>
      )}
      <label className="check">
        <input
          type="checkbox"
          checked={form.sandboxNetwork}
          aria-describedby="sandbox-network-help"
          onChange={(e) => update({ sandboxNetwork: e.target.checked })}
        />
        Allow network
      </label>
      <div id="sandbox-network-help" className="help">
        Lets processes open internet sockets (downloads, package registries, git over the network,
        APIs). Unix sockets, such as a local database&apos;s, always work.
        {off && " With the sandbox off, the network is open anyway."}
      </div>
      <FieldErrors errors={errors("sandbox.network")} />

      <div className="writable" role="group" aria-labelledby="sandbox-writable-label">
        <div id="sandbox-writable-label" className="writable-label">
          Also writable
        </div>
        <div className="help">
          Absolute paths outside the work directory that processes may write, such as a build
          cache. {off && "With the sandbox off, every path you can write is writable anyway."}
        </div>
        <FieldErrors errors={errors("sandbox.writable")} />
        {rows.length > 0 && (
          <ul className="path-rows">
            {rows.map((w, i) => {
              const rowErrs = rowErrors(i);
              return (
                <li key={w.key} className={rowErrs.length ? "field-invalid" : undefined}>
                  <div className="inline">
                    <input
                      aria-label={`Writable path ${i + 1}`}
                      aria-invalid={rowErrs.length > 0 || undefined}
                      className="mono"
                      placeholder="/home/you/.cache/build"
                      spellCheck={false}
                      autoFocus={w.key === added}
                      value={w.path}
                      onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, path: e.target.value } : x)))}
                    />
                    <button
                      type="button"
                      aria-label={`Remove writable path ${i + 1}`}
                      onClick={() => setRows(rows.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </div>
                  <FieldErrors errors={rowErrs} />
                </li>
              );
            })}
          </ul>
        )}
        <button
          type="button"
          onClick={() => {
            const row = pathRow();
            setAdded(row.key);
            setRows([...rows, row]);
          }}
        >
          Add path
        </button>
      </div>

      <Field
        label="Environment variables to pass"
        htmlFor="sandbox-env"
        errors={envErrors}
        help={
          <>
            Commands see PATH, HOME, the locale and the usual toolchain variables; name any others
            they need here, separated by spaces. Autowork&apos;s own settings and provider keys are
            never passed.
          </>
        }
      >
        <input
          id="sandbox-env"
          className="mono"
          placeholder="GITHUB_REPOSITORY NODE_ENV"
          spellCheck={false}
          aria-invalid={envErrors.length > 0 || undefined}
          value={form.sandboxEnv}
          onChange={(e) => update({ sandboxEnv: e.target.value })}
        />
      </Field>
    </fieldset>
  );
}
