import { defaultRangeExtractor, useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { Automation } from "../../api";
import { observeRect, scrollParent, useScrollMargin } from "../../components/scrolling";
import { useMediaQuery } from "../../components/useMediaQuery";
import type { ListKeys } from "../../keyboard/useListKeys";
import { AutomationRow } from "./AutomationRow";
import type { History } from "./glance";

/**
 * Above this many automations only the rows on screen are rendered. Fewer are a plain list,
 * as the Inbox's lines are (and the app's end-to-end tests count the rows in the page).
 */
export const VIRTUAL_ABOVE = 100;

/** A row's height before it is measured: one band on a wide window, the glance below it on a narrow one. */
const BAND_HEIGHT = 96;
const TWO_LINE_HEIGHT = 124;
/** Where automations.css puts a row's glance under its title (the row grows). */
const NARROW_ROWS = "(max-width: 1200px)";

const NO_HISTORY: History = { last: null, marks: [] };

interface Props {
  automations: readonly Automation[];
  histories: ReadonlyMap<string, History>;
  list: ListKeys;
}

/** The automations shown: plain up to a hundred, virtualized above. */
export function AutomationList(props: Props) {
  if (props.automations.length > VIRTUAL_ABOVE) return <VirtualRows {...props} />;
  const { automations, histories, list } = props;
  return (
    <ul className="rows automation-rows" aria-label="Automations">
      {automations.map((a, i) => (
        <AutomationRow
          key={a.id}
          automation={a}
          history={histories.get(a.id) ?? NO_HISTORY}
          selected={list.index === i}
          onSelect={() => list.select(i)}
          rowProps={list.row(i)}
        />
      ))}
    </ul>
  );
}

/**
 * Many automations (ten thousand, say), virtualized in the main pane's scroll (the page keeps one scroll
 * bar): only the rows near the screen are in the page, each measured, since a paused banner
 * or a narrow window makes a row taller.
 */
function VirtualRows({ automations, histories, list }: Props) {
  const ul = useRef<HTMLUListElement>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const scrollElement = () => (scroller.current ??= scrollParent(ul.current));
  // Where the list starts in the scroller (the view's header is above it).
  const margin = useScrollMargin(ul);
  const estimate = useMediaQuery(NARROW_ROWS) ? TWO_LINE_HEIGHT : BAND_HEIGHT;
  const pinned = list.index;

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read in render by design
  const virtualizer = useVirtualizer({
    count: automations.length,
    getScrollElement: scrollElement,
    estimateSize: () => estimate,
    // The row's own height, fractions included (rounding would let rows overlap by a part of a
    // pixel); a row not laid out (yet) measures 0: count it as a usual row, not as nothing.
    measureElement: (el) => el.getBoundingClientRect().height || estimate,
    overscan: 6,
    getItemKey: (i) => automations[i].id,
    observeElementRect: observeRect,
    scrollMargin: margin,
    // The keys' selected row stays rendered, so j and k can focus it (and scroll to it) wherever it is.
    rangeExtractor: (range) => {
      const shown = defaultRangeExtractor(range);
      if (pinned < 0 || pinned >= automations.length || shown.includes(pinned)) return shown;
      return [...shown, pinned].sort((a, b) => a - b);
    },
  });

  // A key move brings the selected row into view through the virtualizer: it knows where the
  // rows are, and a scroll it did not make could be undone as it corrects a row's height. A
  // click or focus (`onSelect`) leaves the scroll where it is, as useListKeys does.
  const pointed = useRef(-1);
  useEffect(() => {
    if (pinned >= 0 && pinned !== pointed.current) virtualizer.scrollToIndex(pinned);
  }, [pinned, virtualizer]);


  const last = automations.length - 1;
  return (
    <ul
      ref={ul}
      className="rows automation-rows automation-virtual"
      aria-label="Automations"
      style={{ height: virtualizer.getTotalSize() }}
    >
      {virtualizer.getVirtualItems().map((item) => {
        const a = automations[item.index];
        return (
          <AutomationRow
            key={a.id}
            automation={a}
            history={histories.get(a.id) ?? NO_HISTORY}
            selected={list.index === item.index}
            onSelect={() => {
              pointed.current = item.index;
              list.select(item.index);
            }}
            rowProps={list.row(item.index)}
            place={{
              style: { transform: `translateY(${item.start - margin}px)` },
              "data-index": item.index,
              "data-last": item.index === last ? "true" : undefined,
              "aria-setsize": automations.length,
              "aria-posinset": item.index + 1,
            }}
            measure={virtualizer.measureElement}
          />
        );
      })}
    </ul>
  );
}
