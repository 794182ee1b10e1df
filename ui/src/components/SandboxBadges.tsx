import type { Automation } from "../api";

/**
 * Badges for an automation whose processes are less confined than the default: shown
 * wherever the automation is, so nobody misses it.
 */
export function SandboxBadges({ automation: { sandbox } }: { automation: Pick<Automation, "sandbox"> }) {
  if (sandbox.mode === "off") {
    return (
      <span className="badge badge-bad" data-testid="sandbox-off" title="Processes run with your full access">
        Sandbox off
      </span>
    );
  }
  if (sandbox.network) {
    return (
      <span className="badge badge-warn" data-testid="network-on" title="Processes may open internet connections">
        Network on
      </span>
    );
  }
  return null;
}
