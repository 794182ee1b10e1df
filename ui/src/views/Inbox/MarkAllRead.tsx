import { useState } from "react";
import { Dialog } from "../../components/Dialog";
import { inboxStore } from "../../stores/inbox";
import { notices } from "../../stores/notices";

const lines = (n: number) => (n === 1 ? "1 line" : `${n} lines`);

/** "Mark all read", after a confirmation that says how much goes and that waiting runs stay. */
export function MarkAllRead({ finished, waiting }: { finished: number; waiting: number }) {
  const [asking, setAsking] = useState(false);
  const [pending, setPending] = useState(false);
  const confirm = async () => {
    setPending(true);
    try {
      const n = await inboxStore.markAllRead();
      notices.show(n === 1 ? "Marked 1 run read." : `Marked ${n} runs read.`);
      setAsking(false);
    } catch (e) {
      notices.error("Could not mark the inbox read", e);
    } finally {
      setPending(false);
    }
  };
  return (
    <>
      <button type="button" data-testid="mark-all-read" disabled={finished <= 0} onClick={() => setAsking(true)}>
        Mark all read
      </button>
      {asking && (
        <Dialog title="Mark all read?" onClose={() => setAsking(false)}>
          <p data-testid="mark-all-read-text">
            {lines(finished)} {finished === 1 ? "leaves" : "leave"} the inbox: finished runs and missed fires, which stay under Runs.
            {waiting === 1 && " The run waiting for you stays."}
            {waiting > 1 && ` The ${waiting} runs waiting for you stay.`}
          </p>
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="primary"
              data-testid="confirm-mark-all-read"
              disabled={pending}
              onClick={() => void confirm()}
            >
              Mark {lines(finished)} read
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
