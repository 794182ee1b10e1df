import Anser from "anser";
import { memo, useMemo, type CSSProperties } from "react";
import "./ansi.css";

export interface AnsiSpan {
  text: string;
  className?: string;
  style?: CSSProperties;
}

// Sequences anser leaves in its text: OSC (window titles, hyperlinks), then any other
// escape (cursor moves, a lone ESC). Matching control characters is the point here.
/* eslint-disable no-control-regex */
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
const LEFTOVER = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|$)/g;
/* eslint-enable no-control-regex */

const NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

/** A line as a terminal shows it: what a carriage return wrote over is gone. */
function overwritten(text: string): string {
  if (!text.includes("\r")) return text;
  return text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((line) => line.slice(line.replace(/\r+$/, "").lastIndexOf("\r") + 1).replace(/\r+$/, ""))
    .join("\n");
}

/** anser's colour name ("ansi-bright-red", "ansi-palette-196") as our class or style. */
function colour(name: string | null, truecolor: string | null, layer: "fg" | "bg"): AnsiSpan {
  if (!name) return { text: "" };
  const named = /^ansi-(bright-)?(\w+)$/.exec(name);
  if (named && NAMES.includes(named[2])) return { text: "", className: `ansi-${layer}-${named[1] ?? ""}${named[2]}` };
  const palette = /^ansi-palette-(\d+)$/.exec(name);
  if (palette) {
    const n = Number(palette[1]);
    if (n < 16) return { text: "", className: `ansi-${layer}-${n >= 8 ? "bright-" : ""}${NAMES[n % 8]}` };
    return { text: "", style: { [layer === "fg" ? "color" : "backgroundColor"]: xterm(n) } };
  }
  if (name === "ansi-truecolor" && truecolor) {
    return { text: "", style: { [layer === "fg" ? "color" : "backgroundColor"]: `rgb(${truecolor})` } };
  }
  return { text: "" };
}

/** The xterm 256-colour palette above the 16 named colours: a 6×6×6 cube, then greys. */
function xterm(n: number): string {
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g}, ${g}, ${g})`;
  }
  const c = n - 16;
  const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
  return `rgb(${level(Math.floor(c / 36))}, ${level(Math.floor(c / 6) % 6)}, ${level(c % 6)})`;
}

const DECORATIONS: Record<string, string> = {
  bold: "ansi-bold",
  dim: "ansi-dim",
  italic: "ansi-italic",
  underline: "ansi-underline",
  strikethrough: "ansi-strike",
  hidden: "ansi-hidden",
};

/** Text with ANSI colour codes as styled spans; no escape code is left in the text. */
export function ansiSpans(raw: string): AnsiSpan[] {
  const text = overwritten(raw);
  if (!text.includes("\x1b")) return [{ text }];
  const entries = Anser.ansiToJson(text.replace(OSC, ""), { use_classes: true, remove_empty: true });
  return entries.map((e) => {
    const fg = colour(e.fg, e.fg_truecolor, "fg");
    const bg = colour(e.bg, e.bg_truecolor, "bg");
    const classes = [fg.className, bg.className, ...e.decorations.map((d) => DECORATIONS[d])].filter(Boolean);
    const style = fg.style || bg.style ? { ...fg.style, ...bg.style } : undefined;
    return {
      text: e.content.replace(LEFTOVER, ""),
      className: classes.length ? classes.join(" ") : undefined,
      style,
    };
  });
}

/** The text a reader sees in ANSI output (for search). */
export function stripAnsi(raw: string): string {
  return ansiSpans(raw)
    .map((s) => s.text)
    .join("");
}

/** Command output with its colours, in a `<pre>`. */
export const AnsiText = memo(function AnsiText({ text, className }: { text: string; className?: string }) {
  const spans = useMemo(() => ansiSpans(text), [text]);
  return (
    <pre className={className ? `ansi ${className}` : "ansi"}>
      {spans.map((s, i) =>
        s.className || s.style ? (
          <span key={i} className={s.className} style={s.style}>
            {s.text}
          </span>
        ) : (
          s.text
        ),
      )}
    </pre>
  );
});
