// Desktop benchmark (prints figures beside their targets, asserts nothing):
//   1. 100 automations: the app's idle memory as a user launches it (the binary itself, no
//      WebDriver: the Rust process and its WebKit processes, RSS and PSS from
//      /proc/PID/smaps_rollup, which shares pages out fairly instead of counting them in each
//      process); then under WebDriver: cold start to the first interactive paint, the same
//      idle memory again (WebDriver's automation session lives in the web process: printed
//      beside it, no target), and the UI's frame times while a run streams about 200 tokens a
//      second.
//   2. 100 automations and 100,000 runs (crates/core/examples/seed): cold start, and the time
//      from navigation to the first painted rows of the Runs view and to both Overview charts
//      drawn, measured inside the page.
// Run with `make bench-app` (Xvfb and a session bus, like the end-to-end tests).
// BENCH_PROFILE: the Cargo profile whose app is measured (default release, what
// `make bench-app` builds); BENCH_SKIP_SEEDED=1 skips part 2 (quicker, for memory work).

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  appProcesses,
  commandLine,
  endProcesses,
  freePort,
  moveSchedules,
  processTree,
  removeDirs,
  seed,
  start as startIn,
  startMockLlm,
  stopChild,
  tempDir,
  waitForDriver,
  writeProviders,
} from "./processes.mjs";
import { Session } from "./webdriver.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const profile = process.env.BENCH_PROFILE ?? "release";
const bin = join(root, "target", profile);
const debug = join(root, "target/debug");
const cli = join(debug, "autowork");
const children = [];
/** XDG dirs of the apps started, removed at the end. */
const xdgDirs = [];
const start = (command, args, env) => startIn(children, command, args, env);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Targets, printed beside each figure. The view target (300 ms) is issue 12's; idle memory
 * (PSS under 200 MiB) and frame time (30 frames a second while a run streams) are issue 13's;
 * a window ready within a second is a proposal. RSS counts shared pages in each process: no
 * target.
 */
const TARGET = {
  coldStart: "< 1000 ms inside the page",
  idleRss: "- (shared pages counted in each process)",
  idlePss: "< 200 MiB",
  idlePssDriver: "- (its automation session is in the web process)",
  frameP95: "p95 < 33 ms",
  view: 300,
};

/** A `/proc/PID/<file>` field in KiB (0 when the process or field is gone). */
function kib(pid, file, field) {
  try {
    const text = readFileSync(`/proc/${pid}/${file}`, "utf8");
    return Number(text.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The app's pid: the autowork-app process under this tauri-driver (WebKitWebDriver starts it). */
const appPid = (driver) => appProcesses(driver, bin)[0];
const tree = processTree;
const cmdline = commandLine;

/** tauri-driver on free ports with `env`; the session is created by the caller (timed). */
async function startDriver(env) {
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const [config, xdgData] = [tempDir("bench-config"), tempDir("bench-xdg-data")];
  xdgDirs.push(config, xdgData);
  const driver = start("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    XDG_CONFIG_HOME: config,
    XDG_DATA_HOME: xdgData,
    ...env,
  });
  await waitForDriver(port);
  return { driver, base: `http://127.0.0.1:${port}` };
}

/** Per-process and summed idle memory of `pids` (KiB), with each process's name. */
function idleMemory(pids) {
  const each = pids.map((pid) => ({
    name: cmdline(pid).split(" ")[0].split("/").pop(),
    rss: kib(pid, "status", "VmRSS"),
    pss: kib(pid, "smaps_rollup", "Pss"),
  }));
  const sum = (key) => each.reduce((total, p) => total + p[key], 0);
  return { each, rss: sum("rss"), pss: sum("pss") };
}

/**
 * The app as a user starts it: the binary itself, no tauri-driver or WebDriver session, on
 * its own XDG dirs (a fresh window size and web storage). Without WebDriver nothing in the
 * page can be asked whether the first view painted, so it waits until the web process is up
 * and the processes' summed PSS has stayed within 1 MiB for 4 s (the first view painted and
 * the Overview's code preloaded 1.5 s later), then idles 5 s as the WebDriver measurement
 * does, measures, and ends the app.
 */
async function userLaunch(env) {
  const [config, xdgData] = [tempDir("bench-config"), tempDir("bench-xdg-data")];
  xdgDirs.push(config, xdgData);
  const t0 = performance.now();
  const app = start(join(bin, "autowork-app"), [], { XDG_CONFIG_HOME: config, XDG_DATA_HOME: xdgData, ...env });
  // Its log lines are not read: drained, so a full pipe never stalls it.
  app.stdout.resume();
  app.stderr.resume();
  const samples = [];
  let settled = -1;
  while (performance.now() - t0 < 120000) {
    await sleep(500);
    const pids = tree(app.pid);
    if (!pids.some((p) => cmdline(p).includes("WebKitWebProcess"))) continue;
    samples.push(idleMemory(pids).pss);
    const last = samples.slice(-9);
    if (last.length === 9 && Math.max(...last) - Math.min(...last) < 1024) {
      settled = performance.now() - t0;
      break;
    }
  }
  await sleep(5000);
  const pids = tree(app.pid);
  const memory = idleMemory(pids);
  await stopChild(app);
  await endProcesses(pids);
  return { ...memory, settled };
}

/** "251.0 MiB (autowork-app 101.0, WebKitNetworkProcess 27.5, ...)". */
const perProcess = (memory, key) =>
  `${mib(memory[key])} MiB (${memory.each.map((p) => `${p.name} ${mib(p[key])}`).join(", ")})`;

/** Opens the app, timing the session until `rows` automation rows are painted. */
async function coldStart(env, rows) {
  const { driver, base } = await startDriver(env);
  const t0 = performance.now();
  const session = await Session.create(base, join(bin, "autowork-app"));
  await session.waitFor(async () => (await session.findAll('[data-testid="automation-row"]')).length >= rows, `${rows} rows`, 120000);
  const total = performance.now() - t0;
  const inPage = await session.execute("return performance.now();");
  return { driver, session, total, inPage };
}

/**
 * In the page: the Overview's two engine calls, as the view makes them, timed from the
 * page (the IPC round trip included): what of the Overview's time is the engine's.
 */
const OVERVIEW_DATA = `
  const done = arguments[arguments.length - 1];
  const invoke = window.__TAURI_INTERNALS__.invoke;
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const t0 = performance.now();
  Promise.all([invoke("run_stats", { days: 30, timeZone }), invoke("upcoming_fires", { hours: 24 })])
    .then(() => done(performance.now() - t0), () => done(-1));
`;

/**
 * In the page: sets the hash and resolves with the milliseconds until what the view draws first
 * is there (`probe`: "row", a run row; "charts", both Overview charts drawn) and the frame with
 * it is painted (the next animation frame, then a task after it). The page's CSP allows no
 * eval, so the probes are written out here.
 */
const NAVIGATE_AND_TIME = `
  const [hash, kind] = arguments;
  const done = arguments[arguments.length - 1];
  const row = () => document.querySelector('[data-testid="run-row"]') !== null;
  // Chart.js sizes the canvas (its style) and draws in the same task: both sized and inked.
  const charts = () => {
    const all = [...document.querySelectorAll(".chart-box canvas")];
    return all.length === 2 && all.every((c) => {
      if (!c.style.width || c.width === 0) return false;
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 16) if (px[i] > 0) return true;
      return false;
    });
  };
  const probe = kind === "row" ? row : charts;
  const t0 = performance.now();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    observer.disconnect();
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => done(performance.now() - t0);
      channel.port2.postMessage(0);
    });
  };
  const check = () => { if (!finished && probe()) finish(); };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["style", "width", "height"] });
  const poll = () => { check(); if (!finished) requestAnimationFrame(poll); };
  location.hash = hash;
  requestAnimationFrame(poll);
  setTimeout(() => { if (!finished) { finished = true; observer.disconnect(); done(-1); } }, 30000);
`;

/** Times going from #/settings to `hash` `times` times: [first, median of the rest]. */
async function timeView(session, hash, probe, times = 6) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    await session.execute("location.hash = '#/settings'; return true;");
    await session.waitFind('[data-testid="provider"]', 30000);
    await sleep(300);
    samples.push(await session.executeAsync(NAVIGATE_AND_TIME, [hash, probe]));
  }
  if (samples.some((s) => s < 0)) throw new Error(`${hash} never drew: ${samples}`);
  const rest = samples.slice(1).sort((a, b) => a - b);
  return [samples[0], rest[Math.floor(rest.length / 2)]];
}

const mib = (k) => (k / 1024).toFixed(1);
const ms = (v) => `${v.toFixed(0)} ms`;
const line = (what, figure, target) => console.log(`${what.padEnd(52)} ${figure.padEnd(72)} target ${target}`);

/** Ends the session and tauri-driver, and waits until the app's processes are gone. */
async function closeApp(session, driver) {
  const pids = tree(appPid(driver));
  await session.close();
  await stopChild(driver);
  await endProcesses(pids);
}

async function main() {
  // 1. 100 automations made with the CLI, a model server that streams a long answer.
  const data = tempDir("bench-data");
  const work = tempDir("bench-work");
  const words = Array.from({ length: 1200 }, (_, i) => `word${i}`).join(" ");
  const script = join(data, "script.json");
  writeFileSync(script, JSON.stringify({ turns: [{ text: words, chunk_delay_ms: 5 }] }));
  const url = await startMockLlm(children, debug, script);
  writeProviders(data, [{ id: "mock", url }]);
  for (let i = 0; i < 100; i++) {
    execFileSync(cli, ["--data-dir", data, "automation", "create", "--title", `Automation ${i}`, "--prompt", "Stream a long answer.",
      "--workspace", work, "--model", "mock/mock-coder", "--cron", "0 9 * * 1-5", "--timezone", "Europe/Berlin"]);
  }

  const user = await userLaunch({ AUTOWORK_DATA_DIR: data });
  const first = await coldStart({ AUTOWORK_DATA_DIR: data }, 100);
  const { session, driver } = first;
  await sleep(5000);
  const driven = idleMemory(tree(appPid(driver)));

  // Frame times while the run streams: record requestAnimationFrame intervals in the page.
  await session.execute(`
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => { window.__frames.push(now - last); last = now; if (window.__frames.length < 100000) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  `);
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await session.waitFor(async () => (await session.text('[data-testid="run-state"]')).trim() === "Succeeded", "the run to finish", 60000);
  const frames = (await session.execute("return window.__frames;")).slice(5).sort((a, b) => a - b);
  const pct = (p) => frames[Math.min(frames.length - 1, Math.round((frames.length - 1) * p))];
  await closeApp(session, driver);

  console.log(`desktop benchmark (${profile} build)`);
  line("cold start to 100 automations painted", `${ms(first.total)} (WebDriver session included; ${ms(first.inPage)} inside the page)`, TARGET.coldStart);
  const settled = user.settled < 0 ? "never settled in 120 s" : `settled ${(user.settled / 1000).toFixed(1)} s after launch`;
  line("idle memory as a user launches it (RSS)", `${mib(user.rss)} MiB summed over ${user.each.length} processes`, TARGET.idleRss);
  line("idle memory as a user launches it (PSS)", `${perProcess(user, "pss")}, ${settled}`, TARGET.idlePss);
  line("idle memory under WebDriver (PSS)", perProcess(driven, "pss"), TARGET.idlePssDriver);
  line("frame time while streaming ~200 tok/s", `p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, max ${frames[frames.length - 1].toFixed(1)} ms (${frames.length} frames)`, TARGET.frameP95);
  if (process.env.BENCH_SKIP_SEEDED === "1") {
    for (const child of children.reverse()) await stopChild(child);
    removeDirs(data, work, ...xdgDirs);
    process.exit(0);
  }

  // 2. 100 automations and 100,000 runs over 30 days, seeded straight into the ledger.
  const big = tempDir("bench-big");
  writeProviders(big, [{ id: "mock", url }]);
  const seedStart = performance.now();
  const seeded = seed(debug, { dataDir: big, workspace: work, automations: 100, runs: 100000 });
  const seedTime = performance.now() - seedStart;
  // No schedule fires while the views are timed.
  moveSchedules(cli, big, seeded.automations);
  const second = await coldStart({ AUTOWORK_DATA_DIR: big }, 100);
  await sleep(2000);
  const [runsFirst, runsWarm] = await timeView(second.session, "#/runs", "row");
  const [overviewFirst, overviewWarm] = await timeView(second.session, "#/overview", "charts");
  const overviewData = [];
  for (let i = 0; i < 5; i++) overviewData.push(await second.session.executeAsync(OVERVIEW_DATA));
  overviewData.sort((a, b) => a - b);
  await closeApp(second.session, second.driver);

  line("seeding 100,000 runs (debug seed)", `${(seedTime / 1000).toFixed(1)} s`, "-");
  line("cold start to 100 automations, 100,000 runs", `${ms(second.total)} (${ms(second.inPage)} inside the page)`, TARGET.coldStart);
  line("Runs view at 100,000 runs: navigation to first row", `first ${ms(runsFirst)}, then median ${ms(runsWarm)}`, `< ${TARGET.view} ms`);
  line("Overview at 100,000 runs: navigation to both charts", `first ${ms(overviewFirst)}, then median ${ms(overviewWarm)}`, `< ${TARGET.view} ms`);
  line("  of which the engine's figures (both calls, from the page)", `median ${ms(overviewData[2])} (min ${ms(overviewData[0])})`, "-");
  for (const child of children.reverse()) await stopChild(child);
  removeDirs(data, big, work, ...xdgDirs);
  // Nothing is left to wait for; a stray handle (a keep-alive socket) must not hold make.
  process.exit(0);
}

main().catch(async (e) => {
  console.error(e);
  for (const child of children.reverse()) await stopChild(child).catch(() => {});
  process.exit(1);
});
