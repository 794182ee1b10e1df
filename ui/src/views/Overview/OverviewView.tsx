import type { ReactNode } from "react";
import { errorText, type RunStats } from "../../api";
import { formatCost } from "../../format";
import { href } from "../../routing";
import { DailyCharts, DailyTable } from "./DailyCharts";
import { formatRate } from "./overviewData";
import { Timeline } from "./Timeline";
import { STATS_DAYS, UPCOMING_HOURS, useOverview, type Loaded } from "./useOverview";
import "./overview.css";

/** How the last month went and what runs next, from figures the engine computes. */
export function OverviewView() {
  const { stats, upcoming, since } = useOverview();
  return (
    <section className="view overview">
      <header className="view-header">
        <h1>Overview</h1>
      </header>

      <section className="overview-section" aria-labelledby="overview-days">
        <h2 id="overview-days">Last {STATS_DAYS} days</h2>
        <Figures loaded={stats} what="the run figures">
          {(s) => (s.runs === 0 ? <NoRuns /> : <Days stats={s} />)}
        </Figures>
      </section>

      <section className="overview-section" aria-labelledby="overview-next">
        <h2 id="overview-next">Next {UPCOMING_HOURS} hours</h2>
        <Figures loaded={upcoming} what="the schedules">
          {(u) => <Timeline upcoming={u} start={since} hours={UPCOMING_HOURS} />}
        </Figures>
      </section>
    </section>
  );
}

function Figures<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (value: T) => ReactNode }) {
  if (loaded.status === "loading") {
    return (
      <p className="muted" aria-busy="true">
        Loading…
      </p>
    );
  }
  if (loaded.status === "error") {
    return (
      <p className="error-text" role="alert">
        Could not load {what}: {errorText(loaded.error)}
      </p>
    );
  }
  return <>{children(loaded.value)}</>;
}

function NoRuns() {
  return (
    <p className="muted">
      No runs in the last {STATS_DAYS} days. Runs show up here once an automation runs, on its schedule or with{" "}
      <a href={href({ view: "automations" })}>Run now</a>.
    </p>
  );
}

function Days({ stats }: { stats: RunStats }) {
  return (
    <>
      <dl className="overview-totals" data-testid="overview-totals">
        <div>
          <dt>Runs</dt>
          <dd>{stats.runs}</dd>
        </div>
        <div>
          <dt>Succeeded</dt>
          <dd>{stats.succeeded}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>
            {stats.failed > 0 ? (
              <a href={href({ view: "runs", query: { state: "failed", range: "30d" } })}>{stats.failed}</a>
            ) : (
              0
            )}
          </dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd>{formatRate(stats.success_rate === null ? null : stats.success_rate * 100)}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(stats.cost_usd)}</dd>
        </div>
      </dl>
      <DailyCharts stats={stats} />
      <DailyTable stats={stats} />
    </>
  );
}
