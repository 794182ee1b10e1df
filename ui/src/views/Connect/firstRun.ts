// The first-run step: on start, when no provider is ready and the user has not put it off
// in this session, the app opens "Connect a model".
import { useEffect } from "react";
import * as api from "../../api";
import { navigate, type Route } from "../../routing";

const DISMISSED = "autowork.connect.later";

/** The user chose "Later": no more prompting until the app starts again. */
export function putOffConnect(): void {
  try {
    sessionStorage.setItem(DISMISSED, "1");
  } catch {
    // Storage refused (private mode): the step may show again, nothing worse.
  }
}

export function connectPutOff(): boolean {
  try {
    return sessionStorage.getItem(DISMISSED) === "1";
  } catch {
    return false;
  }
}

/**
 * Opens "Connect a model" once at start when no provider is ready, if the window opened
 * on the automation list (a link to something else, such as a run, is followed instead).
 */
export function useFirstRun(route: Route): void {
  const startView = route.view;
  useEffect(() => {
    if (connectPutOff() || (startView !== "automations" && startView !== "overview")) return;
    const hash = window.location.hash;
    let live = true;
    api.listProviders().then(
      (providers) => {
        // Only if the user is still where the app opened.
        if (live && window.location.hash === hash && !providers.some((p) => p.ready)) {
          navigate({ view: "connect" });
        }
      },
      () => {},
    );
    return () => {
      live = false;
    };
    // Once, at start: later navigation is the user's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
}
