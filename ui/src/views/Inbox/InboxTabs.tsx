import { useRef } from "react";
import { inboxStore, type InboxTab } from "../../stores/inbox";
import { notices } from "../../stores/notices";

const TABS: readonly { id: InboxTab; label: string }[] = [
  { id: "all", label: "All" },
  { id: "needs_me", label: "Needs me" },
  { id: "failed", label: "Failed" },
  { id: "unread", label: "Unread" },
];

/** The inbox's filters as tabs, each with its count; ← and → move between them. */
export function InboxTabs({ tab, counts }: { tab: InboxTab; counts: Record<InboxTab, number> }) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const choose = (next: InboxTab) => {
    inboxStore.setTab(next).catch((e: unknown) => notices.error("Could not load the inbox", e));
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const at = (TABS.findIndex((t) => t.id === tab) + step + TABS.length) % TABS.length;
    choose(TABS[at].id);
    buttons.current[at]?.focus();
  };
  return (
    <div className="inbox-tabs" role="tablist" aria-label="Show" onKeyDown={onKeyDown}>
      {TABS.map((t, i) => {
        const current = t.id === tab;
        return (
          <button
            key={t.id}
            ref={(el) => {
              buttons.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`inbox-tab-${t.id}`}
            data-testid={`inbox-tab-${t.id}`}
            aria-selected={current}
            aria-controls="inbox-panel"
            tabIndex={current ? 0 : -1}
            className={current ? "inbox-tab current" : "inbox-tab"}
            onClick={() => choose(t.id)}
          >
            {t.label} <span className="inbox-tab-count">{counts[t.id]}</span>
          </button>
        );
      })}
    </div>
  );
}
