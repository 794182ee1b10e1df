// Screenshots of every view at 800x600 and 1600x1000, light and dark, over a seeded data dir:
// 30 automations (27 seeded on a schedule, 3 of our own), 2,000 runs over the last 30 days,
// 100 missed fires, a succeeded run with tool calls and a Markdown result (followed up once:
// a thread), a failed run, and a run waiting for answers to two questions.
//
// Saved as target/e2e/<view>-<800|1600>-<light|dark>.png, or under AUTOWORK_SCREENSHOTS (e.g.
// docs/screenshots) when set. The test asserts only that each view is there before its shot;
// looking at the pictures is a person's job. SHOTS_ONLY=thread,runs takes only those views.
//
// Run by scripts/e2e.sh (Xvfb). Dark is GTK_THEME=Adwaita:dark (WebKitGTK turns the GTK
// theme into `prefers-color-scheme`), so the app is started once per theme.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
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
const cli = join(bin, "autowork");
const shots = resolve(root, process.env.AUTOWORK_SCREENSHOTS ?? "target/e2e");
const SIZES = [
  [800, 600],
  [1600, 1000],
];
const LONG = 60000;

const children = [];
let app;
let session;
const dataDir = tempDir("shots-data");
const workspace = tempDir("shots-work");
/** Run ids: the succeeded and the failed runs made before the app starts. */
const made = {};

/** Runs `autowork` with the data dir; returns its JSON answer (also when it exits 1). */
function autowork(...args) {
  try {
    return JSON.parse(execFileSync(cli, ["--data-dir", dataDir, "--json", ...args], { stdio: ["ignore", "pipe", "ignore"] }));
  } catch (e) {
    if (e.stdout?.length) return JSON.parse(e.stdout.toString());
    throw e;
  }
}

const own = (title, prompt) =>
  autowork("automation", "create", "--title", title, "--prompt", prompt, "--workspace", workspace, "--model", "script/mock-coder", "--manual").id;

before(async () => {
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(workspace, "CHANGELOG.md"), "# Changelog\n\n## 0.4.0\n\n- Faster cold start\n");
  writeFileSync(join(workspace, "README.md"), "A project for the screenshots.\n");
  writeFileSync(join(workspace, "package.json"), '{ "name": "shots" }\n');

  // The seeded automations' provider answers anything briefly, should a schedule fire; ours
  // ("script") follows the screenshot script, turn by turn.
  const filler = join(dataDir, "filler-script.json");
  writeFileSync(filler, JSON.stringify({ turns: Array.from({ length: 50 }, () => ({ text: "All **42** tests pass." })) }));
  const [mockUrl, scriptUrl] = await Promise.all([
    startMockLlm(children, bin, filler),
    startMockLlm(children, bin, join(root, "tests/e2e/screenshots-script.json")),
  ]);
  writeProviders(dataDir, [
    { id: "mock", url: mockUrl },
    { id: "script", url: scriptUrl, models: ["mock-coder"] },
  ]);
  const seeded = seed(bin, { dataDir, workspace, automations: 27, runs: 2000, missed: 100 });
  moveSchedules(cli, dataDir, seeded.automations);

  made.changelog = own("Update the changelog", "Bring CHANGELOG.md up to date for the release.");
  made.deploy = own("Deploy the preview", "Deploy the preview build.");
  made.release = own("Ask before deploying", "Deploy the preview; ask me where.");
  made.succeeded = autowork("run-now", made.changelog, "--unattended").id;
  made.failed = autowork("run-now", made.deploy, "--unattended").id;
  assert.equal(autowork("run", "show", made.succeeded).state, "succeeded");
  assert.equal(autowork("run", "show", made.failed).state, "failed");
  // A thread: the changelog run, followed up.
  made.followUp = autowork("run", "follow-up", made.succeeded, "Looks good, tag it.", "--unattended").id;
  assert.equal(autowork("run", "show", made.followUp).state, "succeeded");
});

after(async () => {
  if (app) await app.close();
  for (const child of children.reverse()) await stopChild(child);
  removeDirs(dataDir, workspace);
});

const hash = () => session.execute("return window.location.hash;");

/** Goes to `target`; an unsaved editor asks first, and is told to discard. */
async function go(target) {
  await session.execute("window.location.hash = arguments[0]; return true;", [target]);
  await session.waitFor(
    async () => {
      if ((await hash()) === target) return true;
      const discard = await session.findAll('[data-testid="discard-changes"]');
      if (discard.length) await session.click('[data-testid="discard-changes"]');
      return false;
    },
    `the page at ${target}`,
    LONG,
  );
}

/** Waits for the toasts to go (they leave after a few seconds); shots without them are calmer. */
async function calm() {
  await session
    .waitFor(async () => (await session.findAll(".notices .notice")).length === 0, "the toasts to go", 10000)
    .catch(() => {});
}

async function count(css) {
  return (await session.findAll(css)).length;
}

/** Both charts drawn on their canvases. */
const chartsDrawn = () =>
  session.execute(
    `return [...document.querySelectorAll(".chart-box canvas")].filter((c) => {
       if (c.width === 0 || c.clientWidth === 0) return false;
       const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
       for (let i = 3; i < px.length; i += 4) if (px[i] > 0) return true;
       return false;
     }).length === 2;`,
  );

/**
 * The views, each with how to get there and what must show before its shot; `wide` ones only
 * at 1600 (the side pane needs the room); `after` undoes what the view opened.
 */
const VIEWS = [
  {
    name: "overview",
    open: () => go("#/overview"),
    ready: async () => (await chartsDrawn()) && (await count('[data-testid="timeline-lane"]')) > 0,
  },
  { name: "automations", open: () => go("#/automations"), ready: async () => (await count('[data-testid="automation-row"]')) >= 30 },
  { name: "runs", open: () => go("#/runs"), ready: async () => (await count('[data-testid="run-row"]')) > 5 },
  {
    name: "runs-pane",
    wide: true,
    open: async () => {
      await go("#/runs");
      // The succeeded run, among the newest: its result and transcript beside the list.
      await session.click(`[data-testid="run-row"][data-run-id="${made.succeeded}"]`);
    },
    ready: async () => (await count('[data-testid="run-pane"] [data-testid="run-result"]')) > 0,
  },
  {
    // The changelog automation's runs: the first run, its follow-up under it; on a wide
    // window the follow-up beside the list, with its thread.
    name: "thread",
    open: async () => {
      await go(`#/automations/${made.changelog}/runs`);
      await session.waitFind(`[data-testid="run-row"][data-run-id="${made.followUp}"]`, LONG);
      if ((await session.execute("return window.innerWidth;")) >= 1600) {
        await session.click(`[data-testid="run-row"][data-run-id="${made.followUp}"]`);
      }
    },
    ready: async () =>
      (await count(`[data-testid="run-row"][data-thread-depth="1"]`)) > 0 &&
      ((await session.execute("return window.innerWidth;")) < 1600 || (await count('[data-testid="run-pane"] [data-testid="run-thread"]')) > 0),
  },
  {
    name: "run-succeeded",
    open: () => go(`#/runs/${made.succeeded}`),
    // The transcript renders only the steps near the screen: its tool calls may not be there yet.
    ready: async () => (await count('[data-testid="run-result"]')) > 0 && (await count('[data-testid="transcript"]')) > 0,
  },
  {
    name: "run-failed",
    open: () => go(`#/runs/${made.failed}`),
    ready: async () => (await count('[data-testid="run-result"]')) > 0 && (await count('[data-testid="transcript"]')) > 0,
  },
  {
    name: "run-waiting",
    open: () => go(`#/runs/${made.waiting}`),
    ready: async () => (await count('[data-testid="blocker-panel"] #answer-1')) > 0,
  },
  {
    name: "inbox",
    open: () => go("#/inbox"),
    ready: async () => (await count('[data-testid="inbox-missed"]')) > 0 && (await count('[data-testid="inbox-waiting"]')) > 0,
  },
  {
    name: "editor",
    open: async () => {
      await go("#/automations/new");
      await session.type('[data-testid="field-title"]', "Weekly dependency report");
      await session.select('[data-testid="trigger-kind"]', "weekdays");
      await session.waitFind('[data-testid="schedule-preview"]', LONG);
      // The schedule builder at the top of the view.
      await session.execute(
        `const section = document.querySelector('[data-testid="trigger-kind"]').closest("fieldset");
         let s = section.parentElement;
         while (s && !/(auto|scroll)/.test(getComputedStyle(s).overflowY)) s = s.parentElement;
         const header = document.querySelector(".editor > .view-header");
         const top = header ? header.getBoundingClientRect().bottom : s.getBoundingClientRect().top;
         s.scrollTop += section.getBoundingClientRect().top - top - 8;
         return true;`,
      );
    },
    // The next fires computed (the preview says "Computing…" until then).
    ready: async () =>
      (await count('[data-testid="day-chip-mon"]')) > 0 &&
      !(await session.text('[data-testid="schedule-preview"]')).includes("Computing"),
  },
  { name: "settings", open: () => go("#/settings"), ready: async () => (await count('[data-testid="provider"]')) > 0 },
  {
    name: "settings-history",
    open: async () => {
      await go("#/settings");
      await session.waitFind('[data-testid="provider"]', LONG);
      // The queue's provider fields too: they come with the statuses and move History down.
      await session.waitFind("#queue-provider-mock", LONG);
      // A clean-up's preview (a dry run: nothing goes), so the shot shows its report too.
      await session.click('[data-testid="retention"]:not([disabled]) [data-testid="gc-preview-button"]');
      await session.waitFind('[data-testid="gc-preview"]', LONG);
      // Runs at once at the top with History under it, or History alone when both do not fit.
      await session.execute(
        `const queue = document.querySelector('[data-testid="queue-limits"]');
         const history = document.querySelector('[data-testid="retention"]');
         let s = queue.parentElement;
         while (s && !/(auto|scroll)/.test(getComputedStyle(s).overflowY)) s = s.parentElement;
         const fits = history.getBoundingClientRect().bottom - queue.getBoundingClientRect().top <= s.clientHeight - 16;
         s.scrollTop += (fits ? queue : history).getBoundingClientRect().top - s.getBoundingClientRect().top - 8;
         return true;`,
      );
    },
    ready: async () => (await count('[data-testid="queue-limits"]')) > 0 && (await count('[data-testid="gc-preview"]')) > 0,
    // The next view starts at the top again.
    after: () => session.execute('document.querySelector(".main").scrollTop = 0; return true;'),
  },
  { name: "connect", open: () => go("#/connect"), ready: async () => (await count('[data-testid="connect-provider-other"]')) > 0 },
  {
    name: "palette",
    open: async () => {
      await go("#/automations");
      await session.waitFind('[data-testid="automation-row"]', LONG);
      await session.press(["Control", "k"]);
    },
    ready: async () => (await count('[data-testid="palette-input"]')) > 0,
    after: () => session.press(["Escape"]),
  },
  {
    name: "shortcuts",
    open: async () => {
      await go("#/automations");
      await session.waitFind('[data-testid="automation-row"]', LONG);
      await session.execute("document.activeElement?.blur(); return true;");
      await session.press(["?"]);
    },
    ready: async () => (await count('[data-testid="shortcut-sheet"]')) > 0,
    after: () => session.press(["Escape"]),
  },
];

/** Only these views (`SHOTS_ONLY=thread,runs`), for a quick pass over new ones. */
const only = process.env.SHOTS_ONLY ? new Set(process.env.SHOTS_ONLY.split(",")) : null;

/** Every view at each size, in `theme`. */
async function allViews(theme) {
  for (const [w, h] of SIZES) {
    await session.resize(w, h);
    for (const view of VIEWS) {
      if (view.wide && w < 1600) continue;
      if (only && !only.has(view.name)) continue;
      await view.open();
      await session.waitFor(view.ready, `the ${view.name} view`, LONG);
      await calm();
      await session.painted();
      writeFileSync(join(shots, `${view.name}-${w}-${theme}.png`), await session.screenshot());
      if (view.after) {
        await view.after();
        await session.waitFor(async () => (await count("[aria-modal='true']")) === 0, `the ${view.name} to close`);
      }
    }
  }
}

/** Starts the app in `theme` and a run that waits for answers (the app's shutdown ends the previous one). */
async function openApp(theme) {
  // A bus of its own: should the last app outlive its session, the single-instance lock
  // (on the bus) would make this one quit at once.
  const busAddress = await startBus(children, join(root, "scripts/dbus-session.conf"));
  app = await launchApp(children, { bin, dataDir, busAddress, dark: theme === "dark" });
  session = app.session;
  const scheme = await session.execute('return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";');
  assert.equal(scheme, theme, `GTK_THEME gives the page the ${theme} scheme`);
  await session.waitFor(
    () =>
      session.execute(
        `const b = document.querySelector('button[data-testid="run-now"][aria-label*="Ask before deploying"]')
           ?? [...document.querySelectorAll('[data-testid="automation-row"]')]
                .find((r) => r.textContent.includes("Ask before deploying"))?.querySelector('[data-testid="run-now"]');
         if (!b) return false;
         b.click();
         return true;`,
      ),
    "Run now on Ask before deploying",
    LONG,
  );
  await session.waitFor(async () => /^#\/runs\/run_/.test(await hash()), "the new run's page", LONG);
  made.waiting = (await hash()).slice("#/runs/".length);
  await session.waitFind('[data-testid="blocker-panel"]', LONG);
}

test("screenshots of every view, light", async () => {
  await openApp("light");
  await allViews("light");
});

test("screenshots of every view, dark", async () => {
  await app.close();
  app = null;
  await openApp("dark");
  await allViews("dark");
});
