import { useEffect, useState } from "react";
import * as api from "../../api";
import { ApiFailure, errorText, type ConnectionReport, type StoreChoice, type ValidationDetail } from "../../api";
import { Field, FieldErrors } from "../../components/Field";
import { notices } from "../../stores/notices";
import "./database.css";
import { Workers } from "./Workers";

type Errors = Partial<Record<string, ValidationDetail[]>>;

const SCHEMA_WORDS: Record<ConnectionReport["schema"], string> = {
  absent: "empty: the first app or daemon to open it creates the schema",
  behind: "older than this version: opening it migrates it",
  current: "current",
  newer: "newer than this version: update Autowork before using it",
};

const PASSWORD_WORDS: Record<ConnectionReport["password"], string> = {
  environment: "from AUTOWORK_STORE_PASSWORD",
  keychain: "from the keychain",
  typed: "as typed (not saved yet)",
  missing: "none",
};

/** The errors by field; anything not about the URL or the password goes with the URL. */
function byField(details: readonly ValidationDetail[]): Errors {
  const errors: Errors = {};
  for (const d of details) {
    const field = d.field === "password" ? "password" : "store";
    errors[field] = [...(errors[field] ?? []), d];
  }
  return errors;
}

/** Settings → Database: this computer's SQLite, or a team database (PostgreSQL) by URL. */
export function DatabaseSection() {
  const [choice, setChoice] = useState<StoreChoice | null>(null);
  const [team, setTeam] = useState(false);
  const [url, setUrl] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [report, setReport] = useState<ConnectionReport | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);

  const show = (c: StoreChoice) => {
    setChoice(c);
    setTeam(c.url !== null);
    setUrl(c.url ?? "");
  };
  useEffect(() => {
    api.getStore().then(show, (e: unknown) => notices.error("Could not load the database settings", e));
  }, []);

  const failed = (e: unknown, what: string) => {
    if (e instanceof ApiFailure && e.details.length > 0) setErrors(byField(e.details));
    else notices.error(what, e);
  };

  const test = async () => {
    setBusy("test");
    setErrors({});
    setReport(null);
    try {
      setReport(await api.testStore(url, password || null));
    } catch (e) {
      failed(e, "Could not test the connection");
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    setBusy("save");
    setErrors({});
    try {
      show(await api.setStore(team ? url : null, team && password ? password : null));
      // The restart offer below says when the saved choice takes effect.
      setPassword("");
    } catch (e) {
      failed(e, "Could not save the database settings");
    } finally {
      setBusy(null);
    }
  };

  const forget = async () => {
    try {
      show(await api.forgetStorePassword());
    } catch (e) {
      failed(e, "Could not remove the password");
    }
  };

  const restart = () => api.restartApp().catch((e: unknown) => notices.show(`Could not restart: ${errorText(e)}`, "error"));

  const saved = choice?.url ?? null;
  const changed = choice !== null && (team ? url.trim() !== (saved ?? "") || password !== "" : saved !== null);
  const pending = choice !== null && (choice.url ?? null) !== (choice.in_use ?? null);
  const passwordState = choice?.password ?? null;
  const passwordHelp =
    passwordState?.source === "keychain"
      ? "Saved in the keychain. Type a new one to replace it."
      : passwordState?.source === "environment"
        ? "AUTOWORK_STORE_PASSWORD is set: it is used, whatever is saved."
        : passwordState?.keychain_problem
          ? `${passwordState.keychain_problem}: set AUTOWORK_STORE_PASSWORD instead.`
          : "Kept in the system keychain, never in a settings file.";

  return (
    <fieldset className="section database" disabled={!choice} data-testid="database">
      <legend>Database</legend>
      <p className="database-explain">
        Where the run ledger lives. A team database (PostgreSQL) is shared by every app and{" "}
        <code>autowork daemon</code> connected to it, so automations fire while this computer sleeps.
      </p>
      {choice?.unreachable && (
        <div className="database-unreachable" role="alert" data-testid="store-unreachable">
          The team database could not be opened when Autowork started, so it is using this computer&apos;s database:{" "}
          {choice.unreachable}. Test the connection, fix the URL or the password, then restart.
        </div>
      )}
      <div className="database-choice" role="radiogroup" aria-label="Where the ledger lives">
        <label className="check">
          <input type="radio" name="store" data-testid="store-this-computer" checked={!team} onChange={() => setTeam(false)} />
          This computer
        </label>
        <label className="check">
          <input type="radio" name="store" data-testid="store-team" checked={team} onChange={() => setTeam(true)} />
          Team database
        </label>
      </div>
      {team && (
        <div className="database-team">
          <Field
            label="URL"
            htmlFor="store-url"
            errors={errors.store}
            help="postgres://user@host/database, without the password. Hosts on other machines are reached over TLS."
          >
            <input
              id="store-url"
              className="mono"
              type="text"
              spellCheck={false}
              autoComplete="off"
              placeholder="postgres://user@db.example.com/autowork"
              value={url}
              aria-invalid={errors.store?.length ? true : undefined}
              onChange={(e) => {
                setUrl(e.target.value);
                setReport(null);
              }}
            />
          </Field>
          <Field label="Password" htmlFor="store-password" errors={errors.password} help={passwordHelp}>
            <div className="database-password">
              <input
                id="store-password"
                type="password"
                autoComplete="off"
                placeholder={passwordState?.source === "keychain" ? "saved in keychain" : ""}
                value={password}
                aria-invalid={errors.password?.length ? true : undefined}
                onChange={(e) => setPassword(e.target.value)}
              />
              {passwordState?.source === "keychain" && (
                <span className="database-saved" data-testid="password-saved">
                  ✓ saved in keychain
                </span>
              )}
            </div>
          </Field>
        </div>
      )}
      <div className="database-actions">
        {team && (
          <button type="button" data-testid="store-test" onClick={() => void test()} disabled={busy !== null || url.trim() === ""}>
            {busy === "test" ? "Testing…" : "Test connection"}
          </button>
        )}
        <button type="button" className="primary" data-testid="store-save" onClick={() => void save()} disabled={busy !== null || !changed}>
          {busy === "save" ? "Saving…" : "Save"}
        </button>
        {team && passwordState?.source === "keychain" && !changed && (
          <button type="button" onClick={() => void forget()}>
            Forget password
          </button>
        )}
      </div>
      {report && (
        <div className="database-report" role="status" data-testid="store-report">
          <strong>Connected.</strong>
          <dl className="paths">
            <dt>Server</dt>
            <dd>PostgreSQL {report.server_version}</dd>
            <dt>Database</dt>
            <dd>
              {report.database} (user {report.user})
            </dd>
            <dt>Encrypted</dt>
            <dd>{report.tls ? "yes (TLS)" : "no"}</dd>
            <dt>Password</dt>
            <dd>{PASSWORD_WORDS[report.password]}</dd>
            <dt>Schema</dt>
            <dd>{SCHEMA_WORDS[report.schema]}</dd>
          </dl>
        </div>
      )}
      <FieldErrors errors={Object.entries(errors).flatMap(([f, list]) => (f === "store" || f === "password" ? [] : (list ?? [])))} />
      {pending && (
        <div className="database-restart" role="status" data-testid="store-restart">
          <span>
            {choice?.unreachable
              ? "Autowork tries the team database again at its next start."
              : `Autowork uses ${choice?.url ? "the team database" : "this computer's database"} after a restart; until then it keeps using ${choice?.in_use ? "the team database" : "this computer's"}.`}
          </span>
          <button type="button" className="primary" onClick={() => void restart()}>
            Restart now
          </button>
        </div>
      )}
      {choice?.in_use && <Workers />}
    </fieldset>
  );
}
