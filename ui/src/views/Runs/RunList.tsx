import { defaultRangeExtractor, observeElementRect, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { useRef, type ReactNode } from "react";
import type { Run } from "../../api";
import type { ListKeys } from "../../keyboard/useListKeys";
import { RunRow } from "./RunRow";

/** A run's row on one line; narrow lists wrap to two and are measured. */
const ROW_HEIGHT = 44;
/** How close to the end (in pixels) scrolling asks for the next page. */
const LOAD_AHEAD = 800;

// A scroller not laid out yet measures 0 high and would show nothing: assume the window.
const observeRect = (
  instance: Virtualizer<HTMLDivElement, Element>,
  cb: (rect: { width: number; height: number }) => void,
) => observeElementRect(instance, (r) => cb(r.height > 0 ? r : { width: r.width, height: window.innerHeight }));

/**
 * The runs, virtualized: only the rows on screen are in the page, so a list scrolled through
 * a hundred thousand runs stays smooth. Scrolling near the end loads the next page.
 */
export function RunList({
  runs,
  depthOf,
  titleOf,
  list,
  selectedId,
  onOpen,
  onNearEnd,
  footer,
}: {
  runs: readonly Run[];
  /** How many follow-ups deep a run sits under the first run of its thread (absent: 0). */
  depthOf: ReadonlyMap<string, number>;
  /** The automation's title for a run; null when the list is one automation's. */
  titleOf: (run: Run) => string | null;
  list: ListKeys;
  selectedId: string | null;
  onOpen: (index: number) => void;
  onNearEnd: () => void;
  footer: ReactNode;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = list.index;

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read in render by design
  const virtualizer = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    // A row not laid out (yet) measures 0: count it as a usual row, not as nothing.
    measureElement: (el) => (el as HTMLElement).offsetHeight || ROW_HEIGHT,
    overscan: 10,
    getItemKey: (i) => runs[i].id,
    observeElementRect: observeRect,
    // The keys' selected row stays rendered, so j and k can focus it wherever it is.
    rangeExtractor: (range) => {
      const shown = defaultRangeExtractor(range);
      if (pinned < 0 || pinned >= runs.length || shown.includes(pinned)) return shown;
      return [...shown, pinned].sort((a, b) => a - b);
    },
  });

  const onScroll = () => {
    const el = scroller.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < LOAD_AHEAD) onNearEnd();
  };
  const tabbable = list.index >= 0 ? list.index : 0;
  const oneAutomation = runs.length > 0 && titleOf(runs[0]) === null;

  return (
    <div className="runs-scroller" ref={scroller} onScroll={onScroll} data-testid="runs-scroller">
      <div className={`run-columns${oneAutomation ? " run-row-one" : ""}`} aria-hidden="true">
        <span>State</span>
        {!oneAutomation && <span>Automation</span>}
        <span>Queued</span>
        <span>Trigger</span>
        <span>Duration</span>
        <span>Cost</span>
        <span>Steps</span>
        <span>Result</span>
      </div>
      <ul className="rows run-rows" aria-label="Runs" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const run = runs[item.index];
          const keys = list.row(item.index);
          return (
            <RunRow
              key={run.id}
              run={run}
              depth={depthOf.get(run.id) ?? 0}
              title={titleOf(run)}
              selected={run.id === selectedId || keys["data-selected"] === "true"}
              tabbable={item.index === tabbable}
              place={{
                style: { transform: `translateY(${item.start}px)` },
                "data-index": item.index,
                "aria-setsize": runs.length,
                "aria-posinset": item.index + 1,
              }}
              rowRef={(el) => {
                keys.ref(el);
                virtualizer.measureElement(el);
              }}
              onOpen={() => onOpen(item.index)}
              onSelect={() => list.select(item.index)}
            />
          );
        })}
      </ul>
      {footer}
    </div>
  );
}
