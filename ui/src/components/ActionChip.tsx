import type { PermissionAction } from "../api";

const TITLES: Record<PermissionAction, string> = {
  allow: "Runs without asking",
  ask: "Asks you first",
  deny: "Refused; the agent is told why",
};

/** A permission decision as the engine names it, coloured like run states (ok, warn, bad). */
export function ActionChip({ action, testId }: { action: PermissionAction; testId?: string }) {
  return (
    <span className={`chip chip-${action}`} title={TITLES[action]} data-testid={testId}>
      {action}
    </span>
  );
}
