import { useCallback, useEffect, useState } from "react";
import { CommandPalette } from "./CommandPalette";
import { ShortcutSheet } from "./ShortcutSheet";
import { acts, modalOpen, SHORTCUTS } from "./shortcuts";
import "./keyboard.css";

/** The app-wide keys: Ctrl+K opens (or closes) the command palette, `?` the shortcut sheet. */
export function Keyboard() {
  const [open, setOpen] = useState<"palette" | "sheet" | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.defaultPrevented && SHORTCUTS.palette.matches(e)) {
        e.preventDefault();
        // The chord closes the palette and replaces the sheet; another view's dialog keeps focus.
        const otherDialog = modalOpen();
        setOpen((o) => (o === "palette" ? null : o === null && otherDialog ? o : "palette"));
      } else if (acts(SHORTCUTS.help, e)) {
        e.preventDefault();
        setOpen("sheet");
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const close = useCallback(() => setOpen(null), []);
  const showShortcuts = useCallback(() => setOpen("sheet"), []);
  if (open === "palette") return <CommandPalette onClose={close} onShowShortcuts={showShortcuts} />;
  if (open === "sheet") return <ShortcutSheet onClose={close} />;
  return null;
}
