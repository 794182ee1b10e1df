import { useCallback, useSyncExternalStore } from "react";

/** Whether the window matches a media query (`(min-width: 1400px)`), following changes. */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (cb: () => void) => {
      const list = typeof window.matchMedia === "function" ? window.matchMedia(query) : null;
      list?.addEventListener("change", cb);
      return () => list?.removeEventListener("change", cb);
    },
    [query],
  );
  const read = () => (typeof window.matchMedia === "function" ? window.matchMedia(query).matches : false);
  return useSyncExternalStore(subscribe, read, read);
}

/** Wide enough for a detail pane beside a list. */
export const WIDE = "(min-width: 1400px)";
/** Too narrow for the sidebar's labels: it folds to a rail of icons. */
export const NARROW = "(max-width: 900px)";
/** Dark colours (charts read the theme's variables at draw time). */
export const DARK = "(prefers-color-scheme: dark)";
