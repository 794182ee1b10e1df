import { href, type Route } from "../routing";
import { inboxStore, unreadCount } from "../stores/inbox";
import { useStore } from "../stores/observable";
import { runs } from "../stores/runs";

const SECTIONS = [
  { id: "automations", label: "Automations", views: ["automations", "new", "edit", "runs", "run"] },
  { id: "inbox", label: "Inbox", views: ["inbox"] },
  { id: "templates", label: "Templates", views: ["templates"] },
  { id: "settings", label: "Settings", views: ["settings"] },
] as const;

export function Sidebar({ route }: { route: Route }) {
  const inbox = useStore(inboxStore);
  const all = useStore(runs);
  const count = unreadCount(inbox, all);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">Autowork</div>
      <ul>
        {SECTIONS.map((s) => {
          const current = (s.views as readonly string[]).includes(route.view);
          return (
            <li key={s.id}>
              <a
                href={href({ view: s.id })}
                data-testid={`nav-${s.id}`}
                aria-current={current ? "page" : undefined}
                className={current ? "nav-link current" : "nav-link"}
              >
                <span>{s.label}</span>
                {s.id === "inbox" && count > 0 && (
                  <span className="badge" data-testid="inbox-count" aria-label={`${count} need you`}>
                    {count}
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
