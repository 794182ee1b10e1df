import { notices } from "../stores/notices";
import { useStore } from "../stores/observable";

/** Transient messages (a failed action) in the corner, announced to screen readers. */
export function Notices() {
  const list = useStore(notices);
  return (
    <div className="notices" role="status" aria-live="polite">
      {list.map((n) => (
        <div key={n.id} className={`notice notice-${n.tone}`}>
          <span>{n.text}</span>
          <button type="button" className="link" aria-label="Dismiss" onClick={() => notices.dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
