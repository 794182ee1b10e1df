import type { RunState } from "../api";
import { STATE_LABELS } from "../format";
import "./state-chip.css";

/**
 * The run's state in words ("Waiting for you"), coloured; `data-state` keeps the engine's
 * name for scripts.
 */
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
      <span className={`chip state-chip chip-${state}`} data-testid={testId} data-state={state}>
        {STATE_LABELS[state]}
      </span>
      {reason && <span className="state-reason">{reason}</span>}
    </span>
  );
}
