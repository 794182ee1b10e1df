import { useSyncExternalStore } from "react";

export type Route =
  | { view: "overview" }
  | { view: "automations" }
  | { view: "new"; template?: string }
  | { view: "edit"; id: string }
  /**
   * All runs, or one automation's runs when `automationId` is given; `query` holds the
   * filters (`?state=failed,stopped&range=7d`), so a filtered list survives a reload.
   */
  | { view: "runs"; automationId?: string; query?: Readonly<Record<string, string>> }
  | { view: "run"; runId: string }
  | { view: "inbox" }
  | { view: "templates" }
  | { view: "settings" }
  /** "Connect a model": set up a provider (`provider` preselects one) and the default model. */
  | { view: "connect"; provider?: string };

/** `#/automations/aut_1/runs` -> a Route; anything unknown is the automation list. */
export function parseHash(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case "overview":
      return { view: "overview" };
    case "inbox":
      return { view: "inbox" };
    case "templates":
      return { view: "templates" };
    case "settings":
      return { view: "settings" };
    case "connect":
      return { view: "connect", provider: params.get("provider") ?? undefined };
    case "runs":
      if (parts[1]) return { view: "run", runId: parts[1] };
      return withQuery({ view: "runs" }, params);
    case "automations":
      if (parts[1] === "new") return { view: "new", template: params.get("template") ?? undefined };
      if (parts[1] && parts[2] === "edit") return { view: "edit", id: parts[1] };
      if (parts[1] && parts[2] === "runs") return withQuery({ view: "runs", automationId: parts[1] }, params);
      break;
  }
  return { view: "automations" };
}

function withQuery(route: Extract<Route, { view: "runs" }>, params: URLSearchParams): Route {
  return params.toString() !== "" ? { ...route, query: Object.fromEntries(params) } : route;
}

/** `{ state: "failed,stopped" }` -> `?state=failed,stopped` (commas kept readable). */
function queryText(query: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(query ?? {}).filter(([, v]) => v !== "");
  if (pairs.length === 0) return "";
  const e = (text: string) => encodeURIComponent(text).replace(/%2C/gi, ",");
  return `?${pairs.map(([k, v]) => `${e(k)}=${e(v)}`).join("&")}`;
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case "new":
      return route.template ? `#/automations/new?template=${e(route.template)}` : "#/automations/new";
    case "edit":
      return `#/automations/${e(route.id)}/edit`;
    case "runs":
      return (route.automationId ? `#/automations/${e(route.automationId)}/runs` : "#/runs") + queryText(route.query);
    case "run":
      return `#/runs/${e(route.runId)}`;
    case "connect":
      return route.provider ? `#/connect?provider=${e(route.provider)}` : "#/connect";
    default:
      return `#/${route.view}`;
  }
}

/**
 * Goes to `route`, unless a navigation guard holds the user back (see `setNavigationGuard`).
 * `force` skips the guard: after a save or a delete there is nothing left to lose.
 */
export function navigate(route: Route, { force = false }: { force?: boolean } = {}): void {
  const next = href(route);
  if (window.location.hash === next) return;
  if (force) return pass(() => (window.location.hash = next));
  leave(() => (window.location.hash = next));
}

// ---------------------------------------------------------------------------------------
// Navigation guard: a view with something to lose (an edited form) asks before it goes.

/**
 * Asked before the app leaves the current route. Returns true to let it go now; false
 * holds it back, and the guard calls `proceed` later if the user decides to go after all.
 */
export type NavigationGuard = (proceed: () => void) => boolean;

let guard: NavigationGuard | null = null;
/** The hash the app shows: where a link refused by the guard comes back to. */
let shown = window.location.hash;
/** The next hash change was allowed already (by the guard or by `force`). */
let passing = false;

/**
 * Installs the guard (one at a time; null removes it). Returns a function that removes this
 * guard only if it is still the installed one, for an effect's cleanup.
 */
export function setNavigationGuard(next: NavigationGuard | null): () => void {
  guard = next;
  shown = window.location.hash;
  passing = false;
  return () => {
    if (guard === next) setNavigationGuard(null);
  };
}

/** Runs `go`, something that changes the hash (`history.back()` too), once the guard agrees. */
export function leave(go: () => void): void {
  if (!guard || guard(() => pass(go))) pass(go);
}

function pass(go: () => void): void {
  passing = guard !== null;
  go();
}

// Links and the back button change the hash before anyone can ask: a refused change is
// undone in place (replaceState, no new history entry) and redone if the guard proceeds.
// Registered before any view subscribes, so views never see the refused hash.
window.addEventListener("hashchange", () => {
  const now = window.location.hash;
  if (passing || !guard || now === shown) {
    passing = false;
    shown = now;
    return;
  }
  const target = now;
  if (guard(() => pass(() => (window.location.hash = target)))) {
    shown = now;
    return;
  }
  history.replaceState(history.state, "", `${window.location.pathname}${window.location.search}${shown}`);
});

function subscribe(cb: () => void): () => void {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

const readHash = () => window.location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash, readHash);
  return parseHash(hash);
}
