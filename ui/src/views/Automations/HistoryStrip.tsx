import { formatDateTime, STATE_LABELS } from "../../format";
import { href } from "../../routing";
import type { Mark } from "./glance";

/**
 * The last runs as small marks, oldest on the left. Each state has its own colour and
 * shape (a tall hatched bar for a failure, a hollow one for a stop), and its name in the
 * label, so colour is never the only signal. The marks are links but not tab stops: the
 * title's link leads to the same runs, one Tab each row instead of twenty.
 */
export function HistoryStrip({ marks }: { marks: readonly Mark[] }) {
  if (marks.length === 0) return null;
  const oldestFirst = [...marks].reverse();
  return (
    <ol className="history-strip" aria-label={`Last ${marks.length} runs, oldest first`} data-testid="run-history">
      {oldestFirst.map((m) => {
        const text = `${STATE_LABELS[m.state]}, ${formatDateTime(m.queued_at)}`;
        return (
          <li key={m.run_id}>
            <a
              className={`mark mark-${m.state}`}
              href={href({ view: "run", runId: m.run_id })}
              title={text}
              aria-label={text}
              data-state={m.state}
              tabIndex={-1}
            />
          </li>
        );
      })}
    </ol>
  );
}
