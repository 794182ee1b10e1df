import { observeElementRect, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import type { TranscriptState } from "../../stores/transcript";
import { RowView } from "./PartView";
import { buildRows } from "./rows";

// A container not laid out yet measures 0 high and would show nothing: assume the window.
const observeRect = (
  instance: Virtualizer<HTMLDivElement, Element>,
  cb: (rect: { width: number; height: number }) => void,
) => observeElementRect(instance, (r) => cb(r.height > 0 ? r : { width: r.width, height: window.innerHeight }));

/** The run's transcript, virtualized so long runs stay smooth; follows the end while streaming. */
export function Transcript({ state }: { state: TranscriptState }) {
  const rows = useMemo(() => buildRows(state), [state]);
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read in render by design
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    overscan: 6,
    getItemKey: (i) => rows[i].key,
    observeElementRect: observeRect,
  });

  useEffect(() => {
    if (following.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [rows, virtualizer]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  return (
    <div
      ref={scroller}
      className="transcript"
      data-testid="transcript"
      role="log"
      aria-label="Transcript"
      tabIndex={0}
      onScroll={onScroll}
    >
      {rows.length === 0 && <p className="muted">Nothing yet.</p>}
      <div className="transcript-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            className="transcript-row"
            style={{ transform: `translateY(${item.start}px)` }}
          >
            <RowView row={rows[item.index]} />
          </div>
        ))}
      </div>
    </div>
  );
}
