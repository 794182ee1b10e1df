import { useEffect, useState } from "react";
import * as api from "./api";
import { Keyboard } from "./keyboard/Keyboard";
import { SHORTCUTS } from "./keyboard/shortcuts";
import { Notices } from "./components/Notices";
import { Sidebar } from "./components/Sidebar";
import { StoreBanner } from "./components/StoreBanner";
import { navigate, useRoute, type Route } from "./routing";
import { startSync } from "./stores/sync";
import { AutomationsView } from "./views/Automations/AutomationsView";
import { CloseDialog } from "./views/CloseDialog";
import { ConnectView } from "./views/Connect/ConnectView";
import { useFirstRun } from "./views/Connect/firstRun";
import { EditorView } from "./views/Editor/EditorView";
import { InboxView } from "./views/Inbox/InboxView";
import { RunDetailView } from "./views/RunDetail/lazy";
import { OverviewView, preloadOverviewView } from "./views/Overview/lazy";
import { RunsView } from "./views/Runs/RunsView";
import { SettingsView } from "./views/Settings/SettingsView";
import { TemplatesView } from "./views/Templates/TemplatesView";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { prefetchOverview } from "./views/Overview/useOverview";

/** How long after start the Overview's figures are fetched in the background. */
const PREFETCH_AFTER_MS = 1500;

export function App() {
  const route = useRoute();
  const [closing, setClosing] = useState(false);
  useFirstRun(route);

  useEffect(() => startSync(), []);
  useEffect(() => api.subscription(() => api.onShowRun((runId) => navigate({ view: "run", runId }))), []);
  useEffect(() => api.subscription(() => api.onCloseRequested(() => setClosing(true))), []);
  useEffect(() => {
    // Once the first view has painted: the Overview's figures and code, so it opens with its
    // charts.
    const t = setTimeout(() => {
      prefetchOverview();
      preloadOverviewView().catch(() => {});
    }, PREFETCH_AFTER_MS);
    return () => clearTimeout(t);
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (SHORTCUTS.newAutomation.matches(e)) {
        e.preventDefault();
        navigate({ view: "new" });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className="app">
      <StoreBanner />
      <Sidebar route={route} />
      <main className="main">
        {/* Keyed by the route: moving elsewhere gives the next view a fresh start. */}
        <ErrorBoundary key={viewKey(route)} onBack={() => navigate({ view: "automations" })}>
          <View route={route} />
        </ErrorBoundary>
      </main>
      {closing && <CloseDialog onClose={() => setClosing(false)} />}
      <Keyboard />
      <Notices />
    </div>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "overview":
      return <OverviewView />;
    case "automations":
      return <AutomationsView />;
    case "new":
      return <EditorView key={`new:${route.template ?? ""}`} template={route.template} />;
    case "edit":
      return <EditorView key={`edit:${route.id}`} automationId={route.id} />;
    case "runs":
      return <RunsView key={route.automationId ?? ""} automationId={route.automationId} query={route.query} />;
    case "run":
      return <RunDetailView key={route.runId} runId={route.runId} />;
    case "inbox":
      return <InboxView />;
    case "templates":
      return <TemplatesView />;
    case "settings":
      return <SettingsView />;
    case "connect":
      return <ConnectView provider={route.provider} />;
  }
}

/** The route without the Runs view's filters: changing a filter keeps the view (and its pane). */
function viewKey(route: Route): string {
  return JSON.stringify(route.view === "runs" ? { ...route, query: undefined } : route);
}
