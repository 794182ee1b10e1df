import { useState } from "react";
import { href, type Route } from "../routing";
import { inboxStore, unreadCount } from "../stores/inbox";
import { useStore } from "../stores/observable";
import { runs } from "../stores/runs";
import { NavIcon } from "./NavIcon";
import { NARROW, useMediaQuery } from "./useMediaQuery";

const SECTIONS = [
  { id: "overview", label: "Overview", views: ["overview"] },
  { id: "automations", label: "Automations", views: ["automations", "new", "edit"] },
  { id: "runs", label: "Runs", views: ["runs", "run"] },
  { id: "inbox", label: "Inbox", views: ["inbox"] },
  { id: "templates", label: "Templates", views: ["templates"] },
  { id: "settings", label: "Settings", views: ["settings"] },
] as const;

/** Where the user's choice of a full sidebar or a rail of icons is remembered. */
export const SIDEBAR_KEY = "autowork.sidebar";
type Shape = "full" | "rail";

function storedShape(): Shape | null {
  try {
    const v = localStorage.getItem(SIDEBAR_KEY);
    return v === "full" || v === "rail" ? v : null;
  } catch {
    return null;
  }
}

/**
 * The main navigation. Below ~900px it folds to a rail of icons (names stay as the links'
 * accessible names and tooltips); the toggle overrides that either way, remembered.
 */
export function Sidebar({ route }: { route: Route }) {
  const inbox = useStore(inboxStore);
  const all = useStore(runs);
  const count = unreadCount(inbox, all);
  const narrow = useMediaQuery(NARROW);
  const [chosen, setChosen] = useState<Shape | null>(storedShape);
  const rail = (chosen ?? (narrow ? "rail" : "full")) === "rail";

  const toggle = () => {
    const next: Shape = rail ? "full" : "rail";
    setChosen(next);
    try {
      localStorage.setItem(SIDEBAR_KEY, next);
    } catch {
      // Storage refused (private mode): the choice lasts until the window closes.
    }
  };

  return (
    <nav className={rail ? "sidebar rail" : "sidebar"} aria-label="Main" data-testid="sidebar">
      <div className="brand" aria-hidden={rail || undefined}>
        {rail ? "A" : "Autowork"}
      </div>
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
                title={rail ? s.label : undefined}
              >
                <NavIcon name={s.id} />
                <span className="nav-label">{s.label}</span>
                {s.id === "inbox" && count > 0 && (
                  <span className="badge" data-testid="inbox-count" aria-label={`${count} need you`}>
                    {badgeText(count)}
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
      <button
        type="button"
        className="sidebar-toggle"
        aria-label={rail ? "Expand the sidebar" : "Collapse the sidebar"}
        aria-expanded={!rail}
        title={rail ? "Show the names" : "Icons only"}
        data-testid="sidebar-toggle"
        onClick={toggle}
      >
        <NavIcon name={rail ? "expand" : "collapse"} />
      </button>
    </nav>
  );
}

/** The badge stops counting at 200 but says so. */
export function badgeText(count: number): string {
  return count > 200 ? "200+" : String(count);
}
