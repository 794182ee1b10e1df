import { useSyncExternalStore } from "react";

/** A value that components read with `useStore` and re-render when it changes. */
export class Observable<S> {
  private listeners = new Set<() => void>();
  protected state: S;

  constructor(initial: S) {
    this.state = initial;
  }

  get = (): S => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  protected set(next: S): void {
    if (Object.is(next, this.state)) return;
    this.state = next;
    this.notify();
  }

  private scheduled = false;

  /**
   * Changes the state but tells listeners at most once per frame: a run streaming hundreds
   * of deltas a second re-renders at the screen's pace, not the network's.
   */
  protected setSoon(next: S): void {
    if (Object.is(next, this.state)) return;
    this.state = next;
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.notify();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Reads a store; `select` must return something stable (a field, not a fresh array). */
export function useStore<S, T = S>(store: Observable<S>, select?: (s: S) => T): T {
  const read = () => (select ? select(store.get()) : (store.get() as unknown as T));
  return useSyncExternalStore(store.subscribe, read, read);
}
