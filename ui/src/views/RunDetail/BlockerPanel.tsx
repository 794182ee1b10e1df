import { Fragment, useEffect, useRef, useState } from "react";
import * as api from "../../api";
import { type Blocker, type PermissionDecision } from "../../api";
import { Diff } from "../../components/Diff";
import { revealInScroller } from "../../components/scrolling";
import { RuleText, Ticked } from "../../components/Ticked";
import { SHORTCUTS } from "../../keyboard/shortcuts";
import { useShortcut } from "../../keyboard/useShortcut";
import { useAnswer } from "../../components/useAnswer";
import { runs } from "../../stores/runs";

type Permission = Extract<Blocker, { kind: "permission" }>;
type Questions = Extract<Blocker, { kind: "question" }>;

/** What the run waits for, with the ways to answer it. Focused on arrival (a notification brings the user here). */
export function BlockerPanel({ blocker }: { blocker: Blocker }) {
  const panel = useRef<HTMLElement>(null);
  const id = blocker.kind === "permission" ? blocker.request_id : blocker.call_id;
  useEffect(() => {
    const el = panel.current;
    if (!el) return;
    // Only the run's own scroll moves, and the run's sticky header stays in view over it.
    revealInScroller(el);
    el.querySelector<HTMLElement>("button, input")?.focus({ preventScroll: true });
  }, [id]);
  return (
    <section ref={panel} className="blocker" data-testid="blocker-panel" aria-labelledby="blocker-title">
      {blocker.kind === "permission" ? (
        <PermissionForm key={id} blocker={blocker} />
      ) : (
        <QuestionForm key={id} blocker={blocker} />
      )}
    </section>
  );
}

const useReply = () => useAnswer((run) => runs.upsert(run));

/** What the script uses that no rule can allow, from the engine's reason ("… it uses X"). */
function opaqueUses(reason: string | null | undefined): string | null {
  const at = reason?.indexOf("it uses ") ?? -1;
  return reason && at >= 0 ? reason.slice(at + "it uses ".length).replace(/\.$/, "") : null;
}

function PermissionForm({ blocker }: { blocker: Permission }) {
  const [message, setMessage] = useState("");
  // Which of the wider rules "Always allow" adds: 0 is the exact rule.
  const [scope, setScope] = useState(0);
  const { pending, error, send } = useReply();
  const options = blocker.always_options ?? [];
  const reply = (decision: PermissionDecision) =>
    send(() =>
      api.replyPermission(
        blocker.request_id,
        decision,
        decision === "reject" && message.trim() ? message.trim() : null,
        decision === "always" && scope > 0 ? scope : null,
      ),
    );
  // `a` and `r`, unless the message box (or any field) has the focus.
  useShortcut(SHORTCUTS.approve, pending ? null : () => void reply("once"));
  useShortcut(SHORTCUTS.reject, pending ? null : () => void reply("reject"));
  // The engine's own words for each rule of the chosen scope.
  const always = scope > 0 && options[scope] ? options[scope].label.split("; ") : (blocker.always ?? []);
  const uses = opaqueUses(blocker.reason);
  return (
    <>
      <h2 id="blocker-title">
        Wants to use <code>{blocker.tool}</code>
      </h2>
      <p className="blocker-summary">
        <Ticked text={blocker.summary} />
      </p>
      {blocker.reason && (
        <p className="blocker-reason" data-testid="blocker-reason">
          Why it asks: <Ticked text={blocker.reason} />
        </p>
      )}
      {blocker.preview && <Diff text={blocker.preview} label="Proposed change" />}
      <label htmlFor="reject-message">Message for the agent if you reject (optional)</label>
      <textarea
        id="reject-message"
        rows={2}
        value={message}
        placeholder="e.g. Don't touch the lockfile; fix the test instead."
        onChange={(e) => setMessage(e.target.value)}
      />
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className="primary"
          data-testid="approve-once"
          disabled={pending}
          aria-keyshortcuts="A"
          data-key-hint="A"
          onClick={() => void reply("once")}
        >
          Allow once
        </button>
        {always.length > 0 && (
          <button
            type="button"
            data-testid="approve-always"
            disabled={pending}
            aria-describedby="always-adds"
            onClick={() => void reply("always")}
          >
            Always allow
          </button>
        )}
        <button
          type="button"
          className="danger"
          data-testid="reject"
          disabled={pending}
          aria-keyshortcuts="R"
          data-key-hint="R"
          onClick={() => void reply("reject")}
        >
          Reject
        </button>
      </div>
      {options.length > 1 && (
        <div className="always-scope">
          <label htmlFor="always-scope">Always allow</label>
          <select
            id="always-scope"
            data-testid="always-scope"
            value={scope}
            disabled={pending}
            onChange={(e) => setScope(Number(e.target.value))}
          >
            {options.map((option, i) => (
              <option key={i} value={i}>
                {i === 0 ? `Exactly this (${option.label})` : option.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {always.length > 0 ? (
        <p className="always-adds" id="always-adds" data-testid="always-adds">
          Always allow adds:{" "}
          {always.map((rule, i) => (
            <Fragment key={i}>
              {i > 0 && "; "}
              <RuleText text={rule} />
            </Fragment>
          ))}
        </p>
      ) : (
        blocker.tool === "bash" && (
          <p className="help" data-testid="once-only">
            {uses ? (
              <Ticked text={`This script can't be allowed by a rule (it uses ${uses}); it can only be allowed once.`} />
            ) : (
              "This call can't be allowed by a rule; it can only be allowed once."
            )}
          </p>
        )
      )}
    </>
  );
}

function QuestionForm({ blocker }: { blocker: Questions }) {
  const [answers, setAnswers] = useState<string[]>(() => blocker.questions.map(() => ""));
  const { pending, error, send } = useReply();
  const setAnswer = (i: number, value: string) => setAnswers((a) => a.map((x, j) => (j === i ? value : x)));
  const complete = answers.every((a) => a.trim() !== "");
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (complete) void send(() => api.answerQuestion(blocker.call_id, answers.map((a) => a.trim())));
      }}
    >
      <h2 id="blocker-title">{blocker.questions.length > 1 ? "The agent asks you" : "The agent asks"}</h2>
      {blocker.questions.map((q, i) =>
        // A free-text question may come without `choices`.
        (q.choices ?? []).length > 0 ? (
          <fieldset key={i} className="question">
            <legend>{q.question}</legend>
            {(q.choices ?? []).map((c) => (
              <label key={c} className="choice">
                <input
                  type="radio"
                  name={`question-${i}`}
                  value={c}
                  checked={answers[i] === c}
                  onChange={() => setAnswer(i, c)}
                />
                {c}
              </label>
            ))}
          </fieldset>
        ) : (
          <div key={i} className="question">
            <label htmlFor={`answer-${i}`}>{q.question}</label>
            <input id={`answer-${i}`} value={answers[i]} onChange={(e) => setAnswer(i, e.target.value)} />
          </div>
        ),
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" data-testid="answer-question" disabled={pending || !complete}>
          Submit
        </button>
      </div>
    </form>
  );
}
