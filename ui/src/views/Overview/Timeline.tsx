import type { Upcoming } from "../../api";
import { href } from "../../routing";
import { hourTicks, lanes, type Lane } from "./overviewData";

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fireFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });

/** Fires listed in words per lane before "and N more". */
const SPOKEN = 6;

type Ticks = ReturnType<typeof hourTicks>;

/**
 * The next hours of fires: one lane per automation, a tick at each fire, the hour axis in
 * the user's time zone. Positioned DOM, not a chart: there is no series, just moments.
 * Lanes scroll under a fixed axis, so thirty automations stay readable.
 */
export function Timeline({ upcoming, start, hours }: { upcoming: Upcoming; start: number; hours: number }) {
  const rows = lanes(upcoming.fires, start, hours);
  const ticks = hourTicks(start, hours);
  if (rows.length === 0) {
    return <p className="muted">Nothing is scheduled to run in the next {hours} hours.</p>;
  }
  return (
    <div className="timeline" data-testid="timeline">
      {/* The axis scrolls with the lanes (sticky on top), so both have the same width. */}
      <div className="timeline-scroll">
        <Axis ticks={ticks} />
        <div className="timeline-body">
          <GridLines ticks={ticks} />
          <ul className="timeline-lanes" aria-label={`Runs scheduled in the next ${hours} hours`}>
            {rows.map((lane) => (
              <LaneRow key={lane.automationId} lane={lane} />
            ))}
          </ul>
        </div>
      </div>
      {upcoming.truncated && (
        <p className="muted small timeline-note">Some fires are left out: a schedule fires more often than the timeline can show.</p>
      )}
    </div>
  );
}

function Axis({ ticks }: { ticks: Ticks }) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <div className="timeline-axis" aria-hidden="true">
      <span className="timeline-axis-zone" title="Times in your time zone">
        {zone}
      </span>
      <div className="timeline-track">
        {/* A label too close to the right edge would be cut in half: its grid line stays. */}
        {ticks
          .filter((t) => t.offset < 0.97)
          .map((t) => (
            <span
              key={t.at}
              className={new Date(t.at).getHours() % 3 === 0 ? "timeline-hour major" : "timeline-hour"}
              style={{ left: `${t.offset * 100}%` }}
            >
              {hourFormat.format(t.at)}
            </span>
          ))}
      </div>
    </div>
  );
}

/**
 * The hours' grid lines, drawn once behind every lane (not once per lane: a hundred
 * automations made 2,400 elements to lay out and paint each time the Overview opened).
 */
function GridLines({ ticks }: { ticks: Ticks }) {
  return (
    <div className="timeline-gridlines" aria-hidden="true">
      <span />
      <div className="timeline-track">
        {ticks.map((t) => (
          <span key={t.at} className="timeline-grid" style={{ left: `${t.offset * 100}%` }} />
        ))}
      </div>
    </div>
  );
}

function LaneRow({ lane }: { lane: Lane }) {
  const link = href({ view: "runs", automationId: lane.automationId });
  const spoken = lane.fires.slice(0, SPOKEN).map((f) => hourFormat.format(new Date(f.at)));
  const more = lane.fires.length - spoken.length;
  return (
    <li className="timeline-lane" data-testid="timeline-lane" data-automation-id={lane.automationId}>
      <div className="timeline-label">
        <a href={link} title={lane.title}>
          {lane.title}
        </a>
        <span className="muted small">
          {lane.fires.length === 1 ? "1 run" : `${lane.fires.length} runs`}
          <span className="visually-hidden">{`: at ${spoken.join(", ")}${more > 0 ? ` and ${more} more` : ""}`}</span>
        </span>
      </div>
      <div className="timeline-track">
        {lane.fires.map((f) => (
          <a
            key={f.at}
            className="timeline-fire"
            href={link}
            style={{ left: `${f.offset * 100}%` }}
            title={`${lane.title}: ${fireFormat.format(new Date(f.at))}`}
            // The lane's name and its times in words stand for the ticks.
            aria-hidden="true"
            tabIndex={-1}
          />
        ))}
      </div>
    </li>
  );
}
