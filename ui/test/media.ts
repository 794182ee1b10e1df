// jsdom has no matchMedia: a fake one whose answers a test sets, and changes, per query.
import { act } from "@testing-library/react";
import { afterEach } from "vitest";

type Listener = (e: MediaQueryListEvent) => void;

const answers = new Map<string, boolean>();
const listeners = new Map<string, Set<Listener>>();

function fakeMatchMedia(query: string): MediaQueryList {
  const set = listeners.get(query) ?? new Set<Listener>();
  listeners.set(query, set);
  return {
    get matches() {
      return answers.get(query) ?? false;
    },
    media: query,
    onchange: null,
    addEventListener: (_type: string, l: Listener) => set.add(l),
    removeEventListener: (_type: string, l: Listener) => set.delete(l),
    addListener: (l: Listener) => set.add(l),
    removeListener: (l: Listener) => set.delete(l),
    dispatchEvent: () => true,
  } as unknown as MediaQueryList;
}

/** Answers `query` with `matches` from now on (and tells whoever listens). */
export async function setMedia(query: string, matches: boolean): Promise<void> {
  answers.set(query, matches);
  window.matchMedia = fakeMatchMedia;
  await act(async () => {
    for (const l of listeners.get(query) ?? []) l({ matches, media: query } as MediaQueryListEvent);
  });
}

afterEach(() => {
  answers.clear();
  listeners.clear();
  delete (window as { matchMedia?: unknown }).matchMedia;
});
