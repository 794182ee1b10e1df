// The sidebar's icons: simple strokes in the text colour, drawn here (no icon font, no CSP
// exceptions). Decorative: the links carry their names.
const PATHS: Record<string, string> = {
  overview: "M4 19V11M10 19V5M16 19v-6M3 19h18",
  automations: "M13 3 5 13h6l-1 8 8-10h-6l1-8Z",
  runs: "M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01",
  inbox: "M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6l2-8Z",
  templates: "M8 3h9l3 3v12H8V3ZM4 7v14h12",
  settings:
    "M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6ZM19 12l2-1-1-3-2 .2-1.3-1.3L17 5l-3-1-1 2h-2L10 4 7 5l.3 2L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.2 1.3 1.3L7 19l3 1 1-2h2l1 2 3-1-.3-2 1.3-1.3 2 .3 1-3-2-1Z",
  collapse: "M15 5l-7 7 7 7",
  expand: "M9 5l7 7-7 7",
};

export function NavIcon({ name }: { name: string }) {
  return (
    <svg
      className="nav-icon"
      viewBox="0 0 24 24"
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name] ?? PATHS.runs} />
    </svg>
  );
}
