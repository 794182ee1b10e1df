import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { useEffect, useRef } from "react";
import { DARK, useMediaQuery } from "../../components/useMediaQuery";

// Only what the Overview draws: bars, a line, two scales and tooltips (tree-shaken).
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip);

/** The theme's colours, read from styles.css's variables when a chart is drawn. */
export interface Theme {
  text: string;
  muted: string;
  grid: string;
  accent: string;
  ok: string;
  bad: string;
  pane: string;
  font: string;
}

export function readTheme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--text", "#1d1d1f"),
    muted: v("--muted", "#6b6b73"),
    grid: v("--border", "#dcdce0"),
    accent: v("--accent", "#2f6fde"),
    ok: v("--ok", "#18733f"),
    bad: v("--bad", "#b42d24"),
    pane: v("--pane", "#ffffff"),
    font: v("--font", "system-ui, sans-serif"),
  };
}

/**
 * A Chart.js chart on a canvas. `config` builds the chart from the theme; the chart is
 * drawn again when it changes and when the system switches between light and dark. The
 * canvas is an image with `label` for its name: the numbers are in a table beside it.
 */
export function ChartCanvas({
  config,
  dataKey,
  label,
  testId,
}: {
  config: (theme: Theme) => ChartConfiguration;
  /** Changes when the data does: the chart is drawn again then, not on every render. */
  dataKey: string;
  label: string;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dark = useMediaQuery(DARK);
  const latest = useRef(config);
  useEffect(() => {
    latest.current = config;
  });

  useEffect(() => {
    if (!canvas.current) return;
    // Colours are read now, so a theme switch (`dark`) draws with the new ones.
    const chart = new Chart(canvas.current, latest.current(readTheme()));
    return () => chart.destroy();
  }, [dataKey, dark]);

  return (
    <div className="chart-box">
      <canvas ref={canvas} role="img" aria-label={label} data-testid={testId} />
    </div>
  );
}
