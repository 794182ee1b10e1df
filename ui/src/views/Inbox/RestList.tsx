import { defaultRangeExtractor, useVirtualizer } from "@tanstack/react-virtual";
import { observeRect, scrollParent, useScrollMargin } from "../../components/scrolling";
import { useRef, type CSSProperties, type ReactNode } from "react";
import type { Shown } from "./lines";

/** Above this many lines only the ones on screen are rendered. */
export const VIRTUAL_ABOVE = 100;

/** What a virtual row adds to its line's props: where it sits, and a ref to measure it. */
export interface Placed {
  style: CSSProperties;
  "data-index": number;
  "aria-setsize": number;
  "aria-posinset": number;
  measure: (el: HTMLElement | null) => void;
}

interface Props {
  lines: readonly Shown[];
  /** The first line's index in the whole inbox (the waiting runs come before). */
  offset: number;
  /** The inbox's selected line, or -1: kept rendered so the keys can move focus to it. */
  selected: number;
  label?: string;
  render: (line: Shown, index: number, placed?: Placed) => ReactNode;
}

/** The inbox's lines after the waiting runs: plain up to a hundred, virtualized above. */
export function RestList(props: Props) {
  if (props.lines.length > VIRTUAL_ABOVE) return <VirtualRows {...props} />;
  const { lines, offset, label, render } = props;
  return (
    <ul
      className="rows inbox-rows"
      aria-label={label}
      aria-labelledby={label ? undefined : "inbox-rest"}
      data-testid="inbox-rest"
    >
      {lines.map((line, i) => render(line, offset + i))}
    </ul>
  );
}


const keyOf = (line: Shown) => (line.kind === "run" ? line.run.id : `missed-${line.automation_id}`);

function VirtualRows({ lines, offset, selected, label, render }: Props) {
  const list = useRef<HTMLUListElement>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const scrollElement = () => (scroller.current ??= scrollParent(list.current));
  // Where the list starts in the scroller (the header, tabs and waiting runs are above).
  const margin = useScrollMargin(list);
  const pinned = selected - offset;

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read in render by design
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: scrollElement,
    estimateSize: () => 60,
    overscan: 8,
    getItemKey: (i) => keyOf(lines[i]),
    observeElementRect: observeRect,
    scrollMargin: margin,
    // The selected line stays rendered, so j and k can focus it wherever it is.
    rangeExtractor: (range) => {
      const shown = defaultRangeExtractor(range);
      if (pinned < 0 || pinned >= lines.length || shown.includes(pinned)) return shown;
      return [...shown, pinned].sort((a, b) => a - b);
    },
  });


  return (
    <ul
      ref={list}
      className="rows inbox-rows inbox-virtual"
      style={{ height: virtualizer.getTotalSize() }}
      aria-label={label}
      aria-labelledby={label ? undefined : "inbox-rest"}
      data-testid="inbox-rest"
    >
      {virtualizer.getVirtualItems().map((item) =>
        render(lines[item.index], offset + item.index, {
          style: { transform: `translateY(${item.start - margin}px)` },
          "data-index": item.index,
          "aria-setsize": lines.length,
          "aria-posinset": item.index + 1,
          measure: virtualizer.measureElement,
        }),
      )}
    </ul>
  );
}
