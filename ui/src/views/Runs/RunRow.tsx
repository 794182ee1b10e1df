import type { Run } from "../../api";
import { StateChip } from "../../components/StateChip";
import { formatCost, formatDateTime, runDuration, runReason } from "../../format";
import { useNow } from "../../hooks";
import { navigate } from "../../routing";
import { isActive } from "../../stores/runs";

const TRIGGERS = { manual: "Run now", schedule: "Schedule", catch_up: "Catch-up" } as const;

export function RunRow({ run }: { run: Run }) {
  const now = useNow(isActive(run.state) ? 1000 : 60_000);
  const open = () => navigate({ view: "run", runId: run.id });
  return (
    <tr
      className="run-row clickable"
      data-testid="run-row"
      data-run-id={run.id}
      tabIndex={0}
      aria-label={`Run from ${formatDateTime(run.started_at ?? run.queued_at)}, ${run.state}`}
      onClick={open}
      onKeyDown={(e) => e.key === "Enter" && !e.ctrlKey && !e.metaKey && open()}
    >
      <td>
        <StateChip state={run.state} reason={runReason(run)} testId="run-state" />
      </td>
      <td>{TRIGGERS[run.trigger]}</td>
      <td>{formatDateTime(run.started_at ?? run.queued_at)}</td>
      <td>{runDuration(run, now)}</td>
      <td>{run.steps}</td>
      <td>{formatCost(run.cost_usd)}</td>
    </tr>
  );
}
