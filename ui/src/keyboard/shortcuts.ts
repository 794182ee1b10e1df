// Every keyboard shortcut of the app, in one place: the handlers match keys with these
// entries and the shortcut sheet lists them, so the two cannot drift apart.
import { isPrimaryChord } from "../actions";

/** Where a shortcut works; the sheet groups by it, in this order. */
export const SCOPES = ["Anywhere", "Lists", "Editor", "Run waiting for you", "Command palette"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Shortcut {
  /** The keys as shown: each entry one way to press it, each a chord. `Mod` is Ctrl (⌘ on macOS). */
  keys: readonly (readonly string[])[];
  does: string;
  where: Scope;
  /** Whether the key works while typing in a text field (chords do; single keys do not). */
  whileTyping: boolean;
  matches: (e: KeyboardEvent) => boolean;
}

const bare = (e: KeyboardEvent) => !e.ctrlKey && !e.metaKey && !e.altKey;
const key = (name: string) => (e: KeyboardEvent) => bare(e) && !e.shiftKey && e.key === name;
const chord = (name: string) => (e: KeyboardEvent) => isPrimaryChord(e, name);
const either =
  (...tests: ((e: KeyboardEvent) => boolean)[]) =>
  (e: KeyboardEvent) =>
    tests.some((t) => t(e));

export const SHORTCUTS = {
  palette: {
    keys: [["Mod", "K"]],
    does: "Open the command palette",
    where: "Anywhere",
    whileTyping: true,
    matches: chord("k"),
  },
  help: {
    keys: [["?"]],
    does: "Show these shortcuts",
    where: "Anywhere",
    whileTyping: false,
    // `?` is Shift+/ on most layouts: Shift is part of it.
    matches: (e) => bare(e) && e.key === "?",
  },
  newAutomation: {
    keys: [["Mod", "N"]],
    does: "New automation",
    where: "Anywhere",
    whileTyping: true,
    matches: chord("n"),
  },
  runNow: {
    keys: [["Mod", "Enter"]],
    does: "Run now: the automation in view, or the one selected in the list",
    where: "Anywhere",
    whileTyping: true,
    matches: chord("Enter"),
  },
  next: {
    keys: [["J"], ["↓"]],
    does: "Select the next row",
    where: "Lists",
    whileTyping: false,
    matches: either(key("j"), key("ArrowDown")),
  },
  previous: {
    keys: [["K"], ["↑"]],
    does: "Select the previous row",
    where: "Lists",
    whileTyping: false,
    matches: either(key("k"), key("ArrowUp")),
  },
  open: {
    keys: [["Enter"]],
    does: "Open the selected row",
    where: "Lists",
    whileTyping: false,
    matches: key("Enter"),
  },
  save: {
    keys: [["Mod", "S"]],
    does: "Save the automation",
    where: "Editor",
    whileTyping: true,
    matches: chord("s"),
  },
  leaveEditor: {
    keys: [["Esc"]],
    does: "Leave the editor (asks first when there are unsaved changes)",
    where: "Editor",
    whileTyping: true,
    // In an open select, Escape belongs to the select.
    matches: (e) => key("Escape")(e) && !(e.target instanceof HTMLSelectElement),
  },
  approve: {
    keys: [["A"]],
    does: "Allow once",
    where: "Run waiting for you",
    whileTyping: false,
    matches: key("a"),
  },
  reject: {
    keys: [["R"]],
    does: "Reject (with the message, if you wrote one)",
    where: "Run waiting for you",
    whileTyping: false,
    matches: key("r"),
  },
  paletteMove: {
    keys: [["↓"], ["↑"]],
    does: "Move through the commands",
    where: "Command palette",
    whileTyping: true,
    matches: either(key("ArrowDown"), key("ArrowUp")),
  },
  paletteRun: {
    keys: [["Enter"]],
    does: "Run the highlighted command",
    where: "Command palette",
    whileTyping: true,
    matches: key("Enter"),
  },
  paletteClose: {
    keys: [["Esc"]],
    does: "Close the palette",
    where: "Command palette",
    whileTyping: true,
    matches: key("Escape"),
  },
} satisfies Record<string, Shortcut>;

// Radios are not typed in, but their arrow keys are theirs: they count as typing.
const NOT_TEXT = new Set(["checkbox", "button", "submit", "reset", "image", "file", "color"]);

/** Whether keys pressed on `target` are typing: text inputs, textareas, selects, contenteditable. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  return target.isContentEditable || target.closest("[contenteditable]:not([contenteditable='false'])") !== null;
}

/** Whether a modal dialog is open: the page's keys wait until it closes. */
export function modalOpen(): boolean {
  return document.querySelector("[aria-modal='true']") !== null;
}

/** Whether `shortcut` should act on this key press (it matches, and nothing else owns the key). */
export function acts(shortcut: Shortcut, e: KeyboardEvent): boolean {
  if (e.defaultPrevented || !shortcut.matches(e)) return false;
  if (!shortcut.whileTyping && isTyping(e.target)) return false;
  return !modalOpen();
}

export function isMac(): boolean {
  const platform =
    (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform ?? navigator.platform;
  return /mac|iphone|ipad/i.test(platform ?? "");
}

/** A key as this platform names it: `Mod` is Ctrl, or ⌘ on macOS. */
export function keyLabel(name: string): string {
  if (name === "Mod") return isMac() ? "⌘" : "Ctrl";
  return name;
}

/** A chord as text, for titles and hints: "Ctrl+K". */
export function chordText(shortcut: Shortcut): string {
  return shortcut.keys[0].map(keyLabel).join("+");
}
