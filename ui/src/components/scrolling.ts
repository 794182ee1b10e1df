import { observeElementRect, type Virtualizer } from "@tanstack/react-virtual";

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
