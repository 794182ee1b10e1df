import { useVirtualizer } from "@tanstack/react-virtual";
import { observeRect, scrollParent } from "../../components/scrolling";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Run } from "../../api";
import { isActive } from "../../stores/runs";
import type { TranscriptState } from "../../stores/transcript";
import { RowView } from "./PartView";
import { RetryNotice } from "./RetryNotice";
import { buildRows, firstErrorRow, searchText, type Row } from "./rows";
import { TranscriptSearch } from "./TranscriptSearch";
import "./transcript.css";


const HIGHLIGHT = "transcript-match";

function matchesOf(rows: readonly Row[], needle: string): number[] {
  if (!needle) return [];
  const found: number[] = [];
  rows.forEach((r, i) => {
    if (searchText(r).includes(needle)) found.push(i);
  });
  return found;
}

/**
 * The run's transcript, part of the page's scroll and virtualized so runs with thousands of
 * parts stay smooth. While the run is active it follows the end, unless the reader scrolled
 * up; search and "Jump to the error" scroll to a row.
 */
export function Transcript({ state, run }: { state: TranscriptState; run: Run }) {
  const rows = useMemo(() => buildRows(state), [state]);
  const live = isActive(run.state);
  const list = useRef<HTMLDivElement>(null);
  const tools = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const scrollElement = () => (scroller.current ??= scrollParent(list.current));
  // Where the list starts in the scroller, and how much sticks over it (the run's header and
  // the toolbar under it).
  const [layout, setLayout] = useState({ margin: 0, toolbar: 0 });
  const following = useRef(live);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read in render by design
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: scrollElement,
    estimateSize: () => 64,
    overscan: 6,
    getItemKey: (i) => rows[i].key,
    observeElementRect: observeRect,
    scrollMargin: layout.margin,
    scrollPaddingStart: layout.toolbar + 32,
  });

  useLayoutEffect(() => {
    const sc = scrollElement();
    const el = list.current;
    if (!sc || !el) return;
    // A finished run opens at its top (its outcome); the next view starts at the top too.
    if (!following.current) sc.scrollTop = 0;
    const measure = () => {
      const margin = el.getBoundingClientRect().top - sc.getBoundingClientRect().top + sc.scrollTop;
      const bar = tools.current;
      const toolbar = bar ? bar.offsetHeight + (parseFloat(getComputedStyle(bar).top) || 0) : 0;
      setLayout((l) => (Math.abs(l.margin - margin) < 1 && l.toolbar === toolbar ? l : { margin, toolbar }));
    };
    measure();
    const onScroll = () => {
      following.current = el.getBoundingClientRect().bottom - sc.getBoundingClientRect().bottom < 48;
    };
    sc.addEventListener("scroll", onScroll, { passive: true });
    // What is above the list (the outcome, a blocker, the changes) grows and shrinks.
    const resized = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    for (const child of Array.from(sc.children)) resized?.observe(child);
    return () => {
      sc.removeEventListener("scroll", onScroll);
      resized?.disconnect();
      sc.scrollTop = 0;
    };
    // Once: the scroller is the page's, and stays while the view is shown.
  }, []);

  // New rows, a retry notice or a question below the list: keep the end in view.
  const waiting = run.state === "awaiting_input";
  useEffect(() => {
    if (following.current && rows.length > 0) virtualizer.scrollToEnd();
  }, [rows, virtualizer, waiting, state.retry]);

  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(0);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const needle = query.trim().toLowerCase();
  const matches = useMemo(() => matchesOf(rows, needle), [rows, needle]);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const at = matches.length ? Math.min(current, matches.length - 1) : -1;

  const show = (index: number) => {
    following.current = false;
    setFocusKey(rows[index].key);
    virtualizer.scrollToIndex(index, { align: "start" });
  };
  const onQuery = (q: string) => {
    setQuery(q);
    setCurrent(0);
    const first = matchesOf(rows, q.trim().toLowerCase())[0];
    if (first === undefined) setFocusKey(null);
    else show(first);
  };
  const onStep = (delta: 1 | -1) => {
    if (!matches.length) return;
    const next = (at + delta + matches.length) % matches.length;
    setCurrent(next);
    show(matches[next]);
  };

  const errorRow = firstErrorRow(rows);
  const jumpTarget = errorRow >= 0 ? errorRow : run.state === "failed" ? rows.length - 1 : -1;

  // Marks the matched words in the rows on screen (CSS Custom Highlight API, where the
  // webview has it; elsewhere the matching rows are still marked).
  useEffect(() => {
    const registry = typeof CSS !== "undefined" ? CSS.highlights : undefined;
    if (!registry || typeof Highlight === "undefined") return;
    if (!needle || !list.current) {
      registry.delete(HIGHLIGHT);
      return;
    }
    const ranges: Range[] = [];
    const walker = document.createTreeWalker(list.current, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.nodeValue?.toLowerCase() ?? "";
      for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + needle.length);
        ranges.push(range);
      }
    }
    registry.set(HIGHLIGHT, new Highlight(...ranges));
  });
  useEffect(
    () => () => {
      if (typeof CSS !== "undefined") CSS.highlights?.delete(HIGHLIGHT);
    },
    [],
  );

  return (
    <section className="transcript-section" aria-labelledby="transcript-title">
      <div className="transcript-tools" ref={tools}>
        <h2 id="transcript-title" className="visually-hidden">
          Transcript
        </h2>
        <TranscriptSearch query={query} onQuery={onQuery} at={at} count={matches.length} onStep={onStep} />
        {jumpTarget >= 0 && (
          <button type="button" className="danger" data-testid="jump-to-error" onClick={() => show(jumpTarget)}>
            Jump to the error
          </button>
        )}
      </div>
      {rows.length === 0 && <p className="muted">Nothing yet.</p>}
      <div
        ref={list}
        className="transcript-list"
        data-testid="transcript"
        role="log"
        aria-label="Transcript"
        tabIndex={0}
        style={{ height: virtualizer.getTotalSize() }}
      >
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          const focused = row.key === focusKey;
          const classes = ["transcript-item", matchSet.has(item.index) && "search-hit", focused && "row-focus"];
          return (
            <div
              key={item.key}
              data-index={item.index}
              data-row-key={row.key}
              ref={virtualizer.measureElement}
              className={classes.filter(Boolean).join(" ")}
              style={{ transform: `translateY(${item.start - layout.margin}px)` }}
            >
              <RowView row={row} runStart={run.started_at} open={focused} />
            </div>
          );
        })}
      </div>
      {live && state.retry && <RetryNotice retry={state.retry} />}
    </section>
  );
}
