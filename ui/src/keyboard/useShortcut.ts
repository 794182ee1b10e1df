import { useEffect, useRef } from "react";
import { acts, type Shortcut } from "./shortcuts";

/**
 * Calls `action` when `shortcut` is pressed while mounted (null: not now). Keys someone
 * else handled, single keys while typing, and keys while a modal is open are left alone.
 */
export function useShortcut(shortcut: Shortcut, action: (() => void) | null): void {
  const latest = useRef(action);
  useEffect(() => {
    latest.current = action;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!latest.current || !acts(shortcut, e)) return;
      e.preventDefault();
      latest.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [shortcut]);
}

/** `useShortcut` as an element, for views that know their action only after loading. */
export function OnShortcut({ shortcut, action }: { shortcut: Shortcut; action: (() => void) | null }) {
  useShortcut(shortcut, action);
  return null;
}
