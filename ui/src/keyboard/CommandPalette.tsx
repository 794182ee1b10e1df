import { useEffect, useMemo, useRef, useState } from "react";
import { runNowAndOpen } from "../actions";
import { navigate } from "../routing";
import { automations } from "../stores/automations";
import { useStore } from "../stores/observable";
import { rankMatches } from "./match";
import { SHORTCUTS, chordText, type Shortcut } from "./shortcuts";

interface Command {
  id: string;
  label: string;
  run: () => void;
  shortcut?: Shortcut;
}

const PLACES = [
  { view: "overview", label: "Overview" },
  { view: "automations", label: "Automations" },
  { view: "runs", label: "Runs" },
  { view: "inbox", label: "Inbox" },
  { view: "templates", label: "Templates" },
  { view: "settings", label: "Settings" },
] as const;

/**
 * A search box over everything the app can go to or do: type to filter, ↑/↓ to move,
 * Enter to run, Esc to close (focus goes back where it was).
 */
export function CommandPalette({ onClose, onShowShortcuts }: { onClose: () => void; onShowShortcuts: () => void }) {
  const all = useStore(automations);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const list = useRef<HTMLUListElement>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    input.current?.focus();
    return () => {
      if (previous?.isConnected) previous.focus();
    };
  }, []);

  const commands = useMemo((): Command[] => {
    const fixed: Command[] = [
      ...PLACES.map((p) => ({ id: `go-${p.view}`, label: `Go to ${p.label}`, run: () => navigate({ view: p.view }) })),
      {
        id: "new",
        label: "New automation",
        run: () => navigate({ view: "new" }),
        shortcut: SHORTCUTS.newAutomation,
      },
      { id: "shortcuts", label: "Show keyboard shortcuts", run: onShowShortcuts, shortcut: SHORTCUTS.help },
    ];
    const each = [...all.values()]
      .sort((a, b) => a.title.localeCompare(b.title, undefined, { numeric: true }))
      .flatMap((a): Command[] => [
        { id: `open-${a.id}`, label: `Open ${a.title}`, run: () => navigate({ view: "runs", automationId: a.id }) },
        { id: `edit-${a.id}`, label: `Edit ${a.title}`, run: () => navigate({ view: "edit", id: a.id }) },
        { id: `run-${a.id}`, label: `Run ${a.title} now`, run: () => void runNowAndOpen(a.id) },
      ]);
    return [...fixed, ...each];
  }, [all, onShowShortcuts]);

  const shown = useMemo(() => rankMatches(commands, query, (c) => c.label), [commands, query]);
  const current = Math.min(active, shown.length - 1);

  useEffect(() => {
    list.current?.querySelector("[aria-selected='true']")?.scrollIntoView?.({ block: "nearest" });
  }, [current]);

  const runCommand = (c: Command | undefined) => {
    if (!c) return;
    onClose();
    c.run();
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const native = e.nativeEvent;
    if (SHORTCUTS.paletteClose.matches(native)) {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    } else if (SHORTCUTS.paletteMove.matches(native) && shown.length > 0) {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((current + step + shown.length) % shown.length);
    } else if (SHORTCUTS.paletteRun.matches(native)) {
      e.preventDefault();
      runCommand(shown[current]);
    } else if (e.key === "Tab") {
      // The search box is the only stop: Tab stays in the dialog.
      e.preventDefault();
    }
  };

  const optionId = (i: number) => `palette-option-${i}`;
  return (
    <div className="backdrop palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog palette" role="dialog" aria-modal="true" aria-label="Command palette" onKeyDown={onKeyDown}>
        <input
          ref={input}
          type="text"
          role="combobox"
          aria-label="Search commands and automations"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-autocomplete="list"
          aria-activedescendant={current >= 0 ? optionId(current) : undefined}
          placeholder="Go to, create, open or run…"
          spellCheck={false}
          autoComplete="off"
          data-testid="palette-input"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
        />
        <ul ref={list} id="palette-list" className="palette-list" role="listbox" aria-label="Commands">
          {shown.map((c, i) => (
            <li
              key={c.id}
              id={optionId(i)}
              role="option"
              aria-selected={i === current}
              className="palette-option"
              onMouseMove={() => i !== current && setActive(i)}
              // Keeps focus in the search box; the click runs the command.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => runCommand(c)}
            >
              <span>{c.label}</span>
              {c.shortcut && <kbd aria-hidden="true">{chordText(c.shortcut)}</kbd>}
            </li>
          ))}
        </ul>
        {shown.length === 0 && <p className="muted palette-empty">Nothing matches “{query.trim()}”.</p>}
      </div>
    </div>
  );
}
