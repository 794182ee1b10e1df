import { useEffect, useState } from "react";
import { Dialog } from "../../components/Dialog";
import { setNavigationGuard } from "../../routing";

/**
 * While `dirty`, leaving the editor (a link, the sidebar, the palette, Cancel, Esc) asks
 * "Discard your changes?" first; Discard goes where the user was going.
 */
export function DiscardGuard({ dirty }: { dirty: boolean }) {
  const [proceed, setProceed] = useState<(() => void) | null>(null);
  useEffect(() => {
    if (!dirty) return;
    return setNavigationGuard((go) => {
      setProceed(() => go);
      return false;
    });
  }, [dirty]);
  if (!proceed) return null;
  return (
    <Dialog title="Discard your changes?" onClose={() => setProceed(null)}>
      <p>What you changed in this automation is not saved.</p>
      <div className="actions">
        <button type="button" onClick={() => setProceed(null)}>
          Keep editing
        </button>
        <button
          type="button"
          className="danger"
          data-testid="discard-changes"
          onClick={() => {
            setProceed(null);
            proceed();
          }}
        >
          Discard
        </button>
      </div>
    </Dialog>
  );
}
