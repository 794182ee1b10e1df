import { observeElementRect, type Virtualizer } from "@tanstack/react-virtual";
import { useLayoutEffect, useState, type RefObject } from "react";

/** Like the virtualizer's own, except that a scroller not laid out yet (0 high) counts as the window. */
export const observeRect = (
  instance: Virtualizer<HTMLElement, Element>,
  cb: (rect: { width: number; height: number }) => void,
) => observeElementRect(instance, (r) => cb(r.height > 0 ? r : { width: r.width, height: window.innerHeight }));

/** The element that scrolls `el`: the app's main pane (or a side pane), so the page has one scroll bar. */
export function scrollParent(el: HTMLElement | null): HTMLElement | null {
  for (let p = el?.parentElement; p; p = p.parentElement) {
    if (/(auto|scroll|overlay)/.test(getComputedStyle(p).overflowY)) return p;
  }
  return el?.closest("main") ?? (document.scrollingElement as HTMLElement | null);
}

/**
 * Scrolls `el`'s scroller, and no other box, just enough to show `el`: its bottom when it is
 * below the fold, but never its top past the scroller's top plus `el`'s `scroll-margin-top`
 * (what sticks there). `scrollIntoView` would move every scrollable box around it too.
 */
export function revealInScroller(el: HTMLElement): void {
  const sc = scrollParent(el);
  if (!sc) return;
  const top = sc.getBoundingClientRect().top;
  const box = el.getBoundingClientRect();
  const above = box.top - (parseFloat(getComputedStyle(el).scrollMarginTop) || 0) - top;
  const below = box.bottom - (top + sc.clientHeight);
  if (below > 0) sc.scrollTop += Math.min(below, above);
  else if (above < 0) sc.scrollTop += above;
}

/**
 * Where `list` starts inside its scroll parent, for a virtualizer's `scrollMargin`: kept
 * current as what is above the list grows and shrinks (a header wrapping as the window
 * narrows, an error shown, answered rows leaving).
 */
export function useScrollMargin(list: RefObject<HTMLElement | null>): number {
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const el = list.current;
    const sc = scrollParent(el);
    if (!sc || !el) return;
    const measure = () => {
      const top = el.getBoundingClientRect().top - sc.getBoundingClientRect().top + sc.scrollTop;
      setMargin((m) => (Math.abs(m - top) < 1 ? m : top));
    };
    measure();
    const resized = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    for (const child of Array.from(sc.children)) resized?.observe(child);
    return () => resized?.disconnect();
  }, [list]);
  return margin;
}
