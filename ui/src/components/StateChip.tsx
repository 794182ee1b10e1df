import type { RunState } from "../api";
import { STATE_LABELS } from "../format";

/** The run's state as the engine names it (tests and scripts read the text), coloured. */
export function StateChip({
  state,
  reason,
  testId,
}: {
  state: RunState;
  reason?: string | null;
  testId?: string;
}) {
  return (
    <span className="state">
      <span
        className={`chip chip-${state}`}
        data-testid={testId}
        title={STATE_LABELS[state]}
      >
        {state}
      </span>
      {reason && <span className="state-reason">{reason}</span>}
    </span>
  );
}
