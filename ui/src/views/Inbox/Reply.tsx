import { useState } from "react";
import * as api from "../../api";
import { type Blocker, type PermissionDecision, type Run } from "../../api";
import { RuleText } from "../../components/Ticked";
import { useAnswer } from "../../components/useAnswer";
import { inboxStore } from "../../stores/inbox";

type Permission = Extract<Blocker, { kind: "permission" }>;
type Questions = Extract<Blocker, { kind: "question" }>;

/**
 * Answers a waiting run from its inbox row: the common answers only (the run's page has the
 * whole choice: a message with a rejection, a wider "always" rule, the proposed diff).
 */
export function Reply({ run, blocker }: { run: Run; blocker: Blocker }) {
  return blocker.kind === "permission" ? (
    <PermissionReply key={blocker.request_id} run={run} blocker={blocker} />
  ) : (
    <QuestionReply key={blocker.call_id} run={run} blocker={blocker} />
  );
}

const useSend = () => useAnswer((run) => inboxStore.answeredHere(run));

function ReplyError({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p className="error-text inbox-reply-error" role="alert">
      {text}
    </p>
  );
}

function PermissionReply({ run, blocker }: { run: Run; blocker: Permission }) {
  const { pending, error, send } = useSend();
  const reply = (decision: PermissionDecision) =>
    send(() => api.replyPermission(blocker.request_id, decision, null));
  // "Always" adds the narrowest rule the engine offers, the first; the run's page offers the wider ones.
  const always = blocker.always ?? [];
  const addsId = `always-adds-${run.id}`;
  return (
    <div className="inbox-reply" aria-busy={pending}>
      <div className="inbox-reply-buttons">
        <button type="button" className="primary" disabled={pending} onClick={() => void reply("once")}>
          Approve once
        </button>
        {always.length > 0 && (
          <button type="button" disabled={pending} aria-describedby={addsId} onClick={() => void reply("always")}>
            Always allow
          </button>
        )}
        <button type="button" className="danger" disabled={pending} onClick={() => void reply("reject")}>
          Reject
        </button>
      </div>
      {always.length > 0 && (
        <p className="help inbox-always" id={addsId}>
          Always allow adds: <RuleText text={always[0]} />
          {always.length > 1 && ` and ${always.length - 1} more`}
        </p>
      )}
      <ReplyError text={error} />
    </div>
  );
}

function QuestionReply({ run, blocker }: { run: Run; blocker: Questions }) {
  const [answers, setAnswers] = useState<string[]>(() => blocker.questions.map(() => ""));
  const { pending, error, send } = useSend();
  const setAnswer = (i: number, value: string) => setAnswers((a) => a.map((x, j) => (j === i ? value : x)));
  const complete = answers.every((a) => a.trim() !== "");
  return (
    <form
      className="inbox-reply"
      aria-busy={pending}
      aria-label="Answer"
      onSubmit={(e) => {
        e.preventDefault();
        if (complete) void send(() => api.answerQuestion(blocker.call_id, answers.map((a) => a.trim())));
      }}
    >
      {blocker.questions.map((q, i) => {
        const id = `answer-${run.id}-${i}`;
        const choices = q.choices ?? [];
        // A free-text question may come without choices: a box to type in.
        return choices.length > 0 ? (
          <div key={i} className="inbox-question" role="group" aria-labelledby={id}>
            <span id={id} className="inbox-question-text">
              {q.question}
            </span>
            <span className="inbox-choices">
              {choices.map((c) => (
                <button
                  key={c}
                  type="button"
                  className="inbox-choice"
                  aria-pressed={answers[i] === c}
                  disabled={pending}
                  onClick={() => setAnswer(i, c)}
                >
                  {c}
                </button>
              ))}
            </span>
          </div>
        ) : (
          <div key={i} className="inbox-question">
            <label htmlFor={id} className="inbox-question-text">
              {q.question}
            </label>
            <input
              id={id}
              value={answers[i]}
              disabled={pending}
              onChange={(e) => setAnswer(i, e.target.value)}
            />
          </div>
        );
      })}
      <div className="inbox-reply-buttons">
        <button type="submit" className="primary" disabled={pending || !complete}>
          Send
        </button>
      </div>
      <ReplyError text={error} />
    </form>
  );
}
