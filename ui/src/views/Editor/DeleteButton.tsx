import { useState } from "react";
import * as api from "../../api";
import type { Automation } from "../../api";
import { Dialog } from "../../components/Dialog";
import { navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { notices } from "../../stores/notices";

export function DeleteButton({ automation }: { automation: Automation }) {
  const [asking, setAsking] = useState(false);
  const remove = async () => {
    try {
      const deleted = await api.deleteAutomation(automation.id);
      automations.remove(automation.id, automation.revision);
      const kept = deleted.kept_worktree;
      notices.show(
        [
          deleted.stopped ? "Deleted; its active run was stopped." : "Deleted.",
          kept
            ? `Its worktree ${kept.path} (branch ${kept.branch}) was kept: ${kept.unapplied_runs.length} run(s) still wait to be applied or discarded.`
            : "",
        ]
          .filter(Boolean)
          .join(" "),
      );
      navigate({ view: "automations" }, { force: true });
    } catch (e) {
      notices.error("Could not delete", e);
    }
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        Delete
      </button>
      {asking && (
        <Dialog title="Delete this automation?" onClose={() => setAsking(false)}>
          <p>
            “{automation.title}” stops firing, and a run of it in progress is stopped.
          </p>
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Keep it
            </button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
