import { useCallback, useEffect, useRef, useState } from "react";
import { acts, SHORTCUTS } from "./shortcuts";
import "./keyboard.css";

export interface ListKeys {
  /** The selected row, or -1. */
  index: number;
  /** Selects a row (a click or focus on it), without moving focus or scrolling. */
  select: (index: number) => void;
  /** Props for row `index`: spread them on the row element. */
  row: (index: number) => RowProps;
}

export interface RowProps {
  ref: (el: HTMLElement | null) => void;
  tabIndex: number;
  "data-selected"?: "true";
  "aria-current"?: "true";
}

const INTERACTIVE = "a, button, input, select, textarea, summary, [contenteditable]";

/**
 * Keyboard paths through a list: j or ↓ selects the next row, k or ↑ the previous one, and
 * Enter opens the selected row (`onOpen(index)`). The selected row gets focus, is scrolled
 * into view and carries `data-selected` (styled in keyboard.css) and `aria-current`. Keys are
 * left alone while typing in a field, with a modifier held, or while a modal is open.
 *
 * Wiring a list (the Runs table, say) takes three lines:
 *
 *     const list = useListKeys(shown.length, (i) => navigate({ view: "run", runId: shown[i].id }));
 *     ...
 *     <tr key={run.id} {...list.row(i)} onClick={() => list.select(i)}>
 *
 * A row that handles Enter itself should call `preventDefault()` there (or leave Enter to
 * this hook), or the row opens twice.
 */
export function useListKeys(count: number, onOpen: (index: number) => void): ListKeys {
  const [selected, setSelected] = useState(-1);
  // Rows that went away (a filter, a deletion) leave nothing selected.
  const index = selected < count ? selected : -1;
  const rows = useRef(new Map<number, HTMLElement>());
  const moved = useRef(false);
  const latest = useRef({ count, index, onOpen });
  useEffect(() => {
    latest.current = { count, index, onOpen };
  });

  useEffect(() => {
    const move = (to: number) => {
      if (to === latest.current.index) return;
      moved.current = true;
      setSelected(to);
    };
    const onKey = (e: KeyboardEvent) => {
      const { count, index, onOpen } = latest.current;
      if (count === 0) return;
      if (acts(SHORTCUTS.next, e)) {
        e.preventDefault();
        move(Math.min(count - 1, index + 1));
      } else if (acts(SHORTCUTS.previous, e)) {
        e.preventDefault();
        move(Math.max(0, index - 1));
      } else if (acts(SHORTCUTS.open, e) && index >= 0) {
        // Enter on a focused button or link is that control's.
        if (e.target instanceof Element && e.target.closest(INTERACTIVE)) return;
        e.preventDefault();
        onOpen(index);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Only a key move takes focus: a click on a row's button keeps focus on the button.
  useEffect(() => {
    if (!moved.current) return;
    moved.current = false;
    const el = rows.current.get(index);
    el?.focus({ preventScroll: true });
    el?.scrollIntoView?.({ block: "nearest" });
  }, [index]);

  const row = useCallback(
    (i: number): RowProps => ({
      // React detaches every old ref before attaching the new ones: reordering is safe.
      ref: (el) => {
        if (el) rows.current.set(i, el);
        else rows.current.delete(i);
      },
      tabIndex: -1,
      ...(i === index ? { "data-selected": "true", "aria-current": "true" } : {}),
    }),
    [index],
  );
  return { index, select: setSelected, row };
}
