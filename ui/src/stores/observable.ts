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
    for (const listener of [...this.listeners]) listener();
  }
}

/** Reads a store; `select` must return something stable (a field, not a fresh array). */
export function useStore<S, T = S>(store: Observable<S>, select?: (s: S) => T): T {
  const read = () => (select ? select(store.get()) : (store.get() as unknown as T));
  return useSyncExternalStore(store.subscribe, read, read);
}
