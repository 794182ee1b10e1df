import { useSyncExternalStore } from "react";

export type Route =
  | { view: "automations" }
  | { view: "new"; template?: string }
  | { view: "edit"; id: string }
  | { view: "runs"; automationId: string }
  | { view: "run"; runId: string }
  | { view: "inbox" }
  | { view: "templates" }
  | { view: "settings" };

/** `#/automations/aut_1/runs` -> a Route; anything unknown is the automation list. */
export function parseHash(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case "inbox":
      return { view: "inbox" };
    case "templates":
      return { view: "templates" };
    case "settings":
      return { view: "settings" };
    case "runs":
      if (parts[1]) return { view: "run", runId: parts[1] };
      break;
    case "automations":
      if (parts[1] === "new") return { view: "new", template: params.get("template") ?? undefined };
      if (parts[1] && parts[2] === "edit") return { view: "edit", id: parts[1] };
      if (parts[1] && parts[2] === "runs") return { view: "runs", automationId: parts[1] };
      break;
  }
  return { view: "automations" };
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case "new":
      return route.template ? `#/automations/new?template=${e(route.template)}` : "#/automations/new";
    case "edit":
      return `#/automations/${e(route.id)}/edit`;
    case "runs":
      return `#/automations/${e(route.automationId)}/runs`;
    case "run":
      return `#/runs/${e(route.runId)}`;
    default:
      return `#/${route.view}`;
  }
}

export function navigate(route: Route): void {
  const next = href(route);
  if (window.location.hash !== next) window.location.hash = next;
}

function subscribe(cb: () => void): () => void {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

const readHash = () => window.location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash, readHash);
  return parseHash(hash);
}
