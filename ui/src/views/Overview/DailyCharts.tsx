import type { ChartConfiguration, TooltipItem } from "chart.js";
import type { RunStats } from "../../api";
import { formatCost } from "../../format";
import { ChartCanvas, type Theme } from "./ChartCanvas";
import { costSeries, dayLabel, dayLongLabel, daySuccessRate, formatRate, successSeries, type Series } from "./overviewData";

function axes(theme: Theme) {
  const ticks = { color: theme.muted, font: { family: theme.font, size: 11 } };
  return {
    x: { ticks: { ...ticks, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false }, border: { color: theme.grid } },
    y: { ticks, grid: { color: theme.grid }, border: { display: false } },
  };
}

function common(theme: Theme) {
  return {
    // Redrawn on every refresh: motion would only distract.
    animation: false as const,
    // Room for a point at 100% not to be cut in half by the chart's top edge.
    layout: { padding: { top: 6 } },
    responsive: true,
    maintainAspectRatio: false,
    plugins: {
      legend: { display: false },
      tooltip: { backgroundColor: theme.text, titleColor: theme.pane, bodyColor: theme.pane, displayColors: false },
    },
  };
}

export function costChart(series: Series, theme: Theme): ChartConfiguration<"bar"> {
  const { x, y } = axes(theme);
  return {
    type: "bar",
    data: {
      labels: series.labels,
      datasets: [{ label: "Cost", data: series.values as number[], backgroundColor: theme.accent, borderRadius: 2, maxBarThickness: 22 }],
    },
    options: {
      ...common(theme),
      scales: { x, y: { ...y, beginAtZero: true, ticks: { ...y.ticks, callback: (v) => formatCost(Number(v)) } } },
      plugins: {
        ...common(theme).plugins,
        tooltip: { ...common(theme).plugins.tooltip, callbacks: { label: (item: TooltipItem<"bar">) => formatCost(Number(item.raw)) } },
      },
    },
  };
}

export function successChart(series: Series, theme: Theme): ChartConfiguration<"line"> {
  const { x, y } = axes(theme);
  return {
    type: "line",
    data: {
      labels: series.labels,
      datasets: [
        {
          label: "Success rate",
          data: series.values,
          borderColor: theme.ok,
          backgroundColor: theme.ok,
          pointRadius: 3,
          borderWidth: 2,
          // A day without a finished run is a gap, not a zero.
          spanGaps: false,
        },
      ],
    },
    options: {
      ...common(theme),
      scales: { x, y: { ...y, min: 0, max: 100, ticks: { ...y.ticks, stepSize: 25, callback: (v) => `${v}%` } } },
      plugins: {
        ...common(theme).plugins,
        tooltip: { ...common(theme).plugins.tooltip, callbacks: { label: (item: TooltipItem<"line">) => formatRate(Number(item.raw)) } },
      },
    },
  };
}

/** The days with the highest cost, for the chart's name. */
function costSummary(stats: RunStats): string {
  const top = stats.days.reduce((best, d) => (d.cost_usd > best.cost_usd ? d : best), stats.days[0]);
  const most = top && top.cost_usd > 0 ? `, most on ${dayLongLabel(top.day)} (${formatCost(top.cost_usd)})` : "";
  return `Cost per day, last ${stats.days.length} days: ${formatCost(stats.cost_usd)} in all${most}.`;
}

function successSummary(stats: RunStats): string {
  const rated = stats.days.filter((d) => daySuccessRate(d) !== null).length;
  return `Success rate per day, last ${stats.days.length} days: ${formatRate(stats.success_rate === null ? null : stats.success_rate * 100)} overall, on ${rated} ${rated === 1 ? "day" : "days"} with finished runs.`;
}

/** Cost (bars) and success rate (a line, 0–100%) per day, each with its name in words. */
export function DailyCharts({ stats }: { stats: RunStats }) {
  const cost = costSeries(stats.days);
  const success = successSeries(stats.days);
  return (
    <div className="overview-charts">
      <figure className="overview-chart">
        <figcaption>Cost per day</figcaption>
        <ChartCanvas
          config={(theme) => costChart(cost, theme) as ChartConfiguration}
          dataKey={JSON.stringify(cost)}
          label={costSummary(stats)}
          testId="cost-chart"
        />
      </figure>
      <figure className="overview-chart">
        <figcaption>Success rate per day</figcaption>
        <ChartCanvas
          config={(theme) => successChart(success, theme) as ChartConfiguration}
          dataKey={JSON.stringify(success)}
          label={successSummary(stats)}
          testId="success-chart"
        />
      </figure>
    </div>
  );
}

/** The charts' numbers, day by day: for screen readers, and anyone who wants the figures. */
export function DailyTable({ stats }: { stats: RunStats }) {
  const days = [...stats.days].reverse();
  return (
    <details className="overview-table">
      <summary>The numbers, day by day</summary>
      <table className="runs" aria-label="Runs per day">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Runs</th>
            <th scope="col">Succeeded</th>
            <th scope="col">Failed</th>
            <th scope="col">Stopped</th>
            <th scope="col">Success rate</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day} data-day={d.day}>
              <th scope="row" title={d.day}>
                {dayLabel(d.day)}
              </th>
              <td>{d.runs}</td>
              <td>{d.succeeded}</td>
              <td>{d.failed}</td>
              <td>{d.stopped}</td>
              <td>{formatRate(daySuccessRate(d))}</td>
              <td>{formatCost(d.cost_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
