// The views over a seeded history, in the real window (issue 12): the inbox after 100 missed
// fires, the Runs view filtered to failed runs, the Overview's charts and timeline.
//
// The data dir comes from crates/core/examples/seed (3 automations, 200 runs over the last 30
// days, 100 missed fires of "Nightly tests" and the catch-up run that ran the latest). The
// seeded schedules are moved at least an hour ahead, so none fires while the figures are read.
// Run by scripts/e2e.sh (Xvfb); the app has its own bus, tauri-driver ports and XDG dirs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  launchApp,
  moveSchedules,
  removeDirs,
  seed,
  startBus,
  startMockLlm,
  stopChild,
  tempDir,
  writeProviders,
} from "./processes.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
const LONG = 60000;
const RUNS = 200;
const MISSED = 100;
const DAY_MS = 24 * 3600 * 1000;

const children = [];
let app;
let session;
let seeded;
const dataDir = tempDir("seeded-data");
const workspace = tempDir("seeded-work");

const hash = () => session.execute("return window.location.hash;");

/** The seed's state for its i-th run (crates/core/examples/seed.rs). */
const seededState = (i) => (i % 10 === 0 || i % 10 === 5 ? "failed" : i % 10 === 7 ? "stopped" : "succeeded");

/**
 * What the seed wrote with a queue time at or after `since` (ms): counts by state and cost,
 * as [certain, uncertain] (a run within the seed's own run time of `since` may fall either side).
 */
function seededSince(since) {
  const span = 30 * DAY_MS;
  const sure = { runs: 0, succeeded: 0, failed: 0, cost: 0 };
  let unsure = 0;
  for (let i = 0; i < RUNS; i++) {
    const offset = -span + Math.trunc((span * i) / RUNS);
    const [earliest, latest] = [seeded.startedAt + offset, seeded.endedAt + offset];
    if (earliest >= since) {
      const state = seededState(i);
      sure.runs++;
      if (state === "succeeded") sure.succeeded++;
      if (state === "failed") sure.failed++;
      sure.cost += 0.002 + (i % 13) * 0.003;
    } else if (latest >= since) {
      unsure++;
    }
  }
  return { sure, unsure };
}

before(async () => {
  const busAddress = await startBus(children, join(root, "scripts/dbus-session.conf"));
  // Nothing runs in these tests; the provider only has to exist for the model to validate.
  const url = await startMockLlm(children, bin, join(root, "tests/e2e/views-first-run-script.json"));
  writeProviders(dataDir, [{ id: "mock", url }]);
  seeded = seed(bin, { dataDir, workspace, automations: 3, runs: RUNS, missed: MISSED });
  moveSchedules(join(bin, "autowork"), dataDir, seeded.automations);
  app = await launchApp(children, { bin, dataDir, busAddress });
  session = app.session;
});

after(async () => {
  if (app) await app.close();
  for (const child of children.reverse()) await stopChild(child);
  removeDirs(dataDir, workspace);
});

test("the inbox folds 100 missed fires into one line, with the catch-up run; Dismiss and Mark all read empty it", async () => {
  await session.click('[data-testid="nav-inbox"]');
  await session.waitFind('[data-testid="inbox-missed"]', LONG);
  const missed = await session.texts('[data-testid="inbox-missed"]');
  assert.equal(missed.length, 1, "one line for all the missed fires");
  assert.match(missed[0], /^Nightly tests: missed 100 fires while closed \(.+\); ran the latest/);

  // The link goes to the catch-up run (the only one; the Runs view tells without opening it).
  const link = await session.execute(
    `return document.querySelector('[data-testid="missed-ran-latest"]').getAttribute("href");`,
  );
  const catchUp = link.match(/^#\/runs\/(run_\w+)$/)?.[1];
  assert.ok(catchUp, `the link ${link} names a run`);

  // The catch-up run's own line, and the badge counts lines, not fires.
  const lines = await session.findAll('[data-testid="inbox-item"], [data-testid="inbox-missed"]');
  assert.equal(lines.length, 2, "the missed fires and the catch-up run");
  assert.equal((await session.text('[data-testid="inbox-count"]')).trim(), "2");

  await session.go("#/runs?trigger=catch_up");
  await session.waitFor(
    async () => (await session.execute(`return [...document.querySelectorAll('[data-testid="run-row"]')].map((r) => r.dataset.runId);`)).join() === catchUp,
    "the catch-up run as the only catch-up row",
    LONG,
  );

  await session.click('[data-testid="nav-inbox"]');
  await session.waitFind('[data-testid="inbox-missed"]', LONG);
  await session.click('[data-testid="inbox-missed"] .inbox-dismiss');
  await session.waitFor(async () => (await session.findAll('[data-testid="inbox-missed"]')).length === 0, "the missed line to go", LONG);
  await session.waitFor(async () => (await session.text('[data-testid="inbox-count"]')).trim() === "1", "the badge to count 1", LONG);

  await session.click('[data-testid="mark-all-read"]');
  assert.match(await session.text('[data-testid="mark-all-read-text"]'), /^1 line leaves the inbox/);
  await session.click('[data-testid="confirm-mark-all-read"]');
  await session.waitFor(
    async () => (await session.findAll('[data-testid="inbox-item"], [data-testid="inbox-missed"]')).length === 0,
    "the inbox to empty",
    LONG,
  );
  assert.match(await session.text(".inbox .empty h2"), /Nothing needs you/);
  await session.waitFor(async () => (await session.findAll('[data-testid="inbox-count"]')).length === 0, "the badge to go", LONG);
});

test("the Runs view filtered to Failed lists exactly the failed runs, to the end", async () => {
  await session.click('[data-testid="nav-runs"]');
  await session.waitFind('[data-testid="run-row"]', LONG);
  await session.clickText(".run-filters label.filter-toggle", "Failed");
  await session.waitFor(async () => (await hash()) === "#/runs?state=failed", "the filter in the URL", LONG);

  const wanted = Array.from({ length: RUNS }, (_, i) => seededState(i)).filter((s) => s === "failed").length;
  // The list is virtual: scroll it to the end (loading pages as it goes), noting every row.
  const seen = new Map();
  await session.waitFor(
    async () => {
      const { rows, atEnd, footer } = await session.execute(
        `const scroller = document.querySelector('[data-testid="runs-scroller"]');
         const rows = [...document.querySelectorAll('[data-testid="run-row"]')].map((r) => [
           r.dataset.runId, r.querySelector('[data-testid="run-state"]').dataset.state,
         ]);
         const more = [...scroller.querySelectorAll(".runs-footer button")].find((b) => !b.disabled);
         if (more) more.click();
         const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
         scroller.scrollTop += scroller.clientHeight * 0.8;
         return { rows, atEnd, footer: scroller.querySelector(".runs-footer").textContent };`,
      );
      for (const [id, state] of rows) seen.set(id, state);
      return atEnd && /runs? match$/.test(footer.trim()) && footer.trim();
    },
    "the end of the list",
    LONG,
  );
  const states = [...new Set(seen.values())];
  assert.deepEqual(states, ["failed"], "every listed run failed");
  assert.equal(seen.size, wanted, `${wanted} failed runs of ${RUNS}`);
  assert.equal((await session.text(".runs-footer")).trim(), `${wanted} runs match`);
});

test("the Overview draws both charts from the seeded runs and lists the next fires", async () => {
  await session.click('[data-testid="nav-overview"]');
  await session.waitFind('[data-testid="overview-totals"]', LONG);

  // Both charts are drawn: a laid-out canvas with pixels on it.
  for (const id of ["cost-chart", "success-chart"]) {
    const drawn = await session.waitFor(
      () =>
        session.execute(
          `const c = document.querySelector('[data-testid="' + arguments[0] + '"]');
           if (!c || c.clientWidth === 0 || c.clientHeight === 0 || c.width === 0) return null;
           const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
           let inked = 0;
           for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
           return inked > 500 ? { w: c.clientWidth, h: c.clientHeight, inked } : null;`,
          [id],
        ),
      `the ${id} drawn`,
      LONG,
    );
    assert.ok(drawn.w > 100 && drawn.h > 100, `${id} is ${drawn.w}x${drawn.h}`);
  }

  // The totals: what the seed wrote in the last 30 local days (the page's time zone), plus
  // the catch-up run (succeeded). Missed fires are not runs that ran: the engine leaves them out.
  const since = await session.execute("const d = new Date(); return new Date(d.getFullYear(), d.getMonth(), d.getDate() - 29).getTime();");
  const { sure, unsure } = seededSince(since);
  const totals = Object.fromEntries(
    await session.execute(
      `return [...document.querySelectorAll('[data-testid="overview-totals"] > div')]
         .map((d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent]);`,
    ),
  );
  const runs = Number(totals.Runs);
  assert.ok(runs >= sure.runs + 1 && runs <= sure.runs + unsure + 1, `runs ${runs}, seeded ${sure.runs}(+${unsure}) + the catch-up run`);
  if (unsure === 0) {
    assert.equal(Number(totals.Succeeded), sure.succeeded + 1);
    assert.equal(Number(totals.Failed), sure.failed);
    assert.equal(totals.Cost, `$${(sure.cost + 0.01).toFixed(2)}`);
  }
  // The accessible figures agree: the charts' names and the day-by-day table.
  const costLabel = await session.execute(`return document.querySelector('[data-testid="cost-chart"]').getAttribute("aria-label");`);
  assert.match(costLabel, new RegExp(`^Cost per day, last 30 days: \\${totals.Cost} in all`));
  await session.click(".overview-table summary");
  const table = await session.execute(
    `return [...document.querySelectorAll('.overview-table tbody tr')].map((tr) => Number(tr.children[1].textContent));`,
  );
  assert.equal(table.length, 30, "a row per day");
  assert.equal(table.reduce((a, b) => a + b, 0), runs, "the table's runs add up to the total");

  // The next 24 hours: a lane per seeded automation, each firing once (daily schedules).
  const lanes = await session.waitFor(
    async () => {
      const l = await session.execute(
        `return [...document.querySelectorAll('[data-testid="timeline-lane"]')].map((li) => [
           li.querySelector(".timeline-label a").textContent, li.querySelector(".timeline-label .small").firstChild.textContent,
           li.querySelectorAll(".timeline-fire").length]);`,
      );
      return l.length > 0 && l;
    },
    "the timeline's lanes",
    LONG,
  );
  assert.deepEqual(
    lanes.map(([title, count, ticks]) => [title, count, ticks]).sort(),
    [
      ["Automation 1", "1 run", 1],
      ["Automation 2", "1 run", 1],
      ["Nightly tests", "1 run", 1],
    ],
  );
});
