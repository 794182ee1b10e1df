import { useEffect, useRef } from "react";
import { isPrimaryChord } from "../../actions";

interface Props {
  query: string;
  onQuery: (query: string) => void;
  /** 0-based position of the current match, or -1. */
  at: number;
  count: number;
  onStep: (delta: 1 | -1) => void;
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * The transcript's search box: Ctrl+F (Cmd+F) or "/" focuses it while the run is shown,
 * Enter and Shift+Enter move between matches, Escape clears it.
 */
export function TranscriptSearch({ query, onQuery, at, count, onStep }: Props) {
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target);
      if (!slash && !isPrimaryChord(e, "f")) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const counter = !query.trim() ? "" : count === 0 ? "No matches" : `${at + 1} of ${count}`;
  return (
    <div className="transcript-search" role="search">
      <input
        ref={input}
        type="search"
        aria-label="Search the transcript"
        placeholder="Search the transcript (Ctrl+F)"
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            onStep(e.shiftKey ? -1 : 1);
          } else if (e.key === "Escape" && query) {
            e.preventDefault();
            onQuery("");
          }
        }}
      />
      {/* The arrows right by the box; the count after them, where its changing width moves nothing. */}
      <button type="button" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={count === 0} onClick={() => onStep(-1)}>
        ↑
      </button>
      <button type="button" aria-label="Next match" title="Next match (Enter)" disabled={count === 0} onClick={() => onStep(1)}>
        ↓
      </button>
      <span className="search-count muted" aria-live="polite" data-testid="search-count">
        {counter}
      </span>
    </div>
  );
}
