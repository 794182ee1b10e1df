// "Describe it" end to end in the real app: a sentence drafts an automation (the scripted
// model proposes it through `propose_automation`), the editor opens filled with the draft
// and its summary in plain words (least privilege took out a command rule and network),
// Create saves it, Run now runs it, and a follow-up continues the run's conversation and
// shows in its thread.
// Along the way it takes the screenshots in docs/screenshots/ (describe-*, draft-editor-*),
// at 800x600 and 1600x1000, light and dark.
//
// Run by scripts/e2e.sh (which starts Xvfb); the window, its own bus and ports, and the
// screenshots are window.mjs's.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { firstLine, start as startIn } from "./processes.mjs";
import { AppWindow, LONG } from "./window.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
const shots = join(root, process.env.AUTOWORK_SCREENSHOTS ?? "target/e2e");
const driverPort = 4464;
const nativePort = 4465;
const SENTENCE = "Every weekday at 9, summarize yesterday's changes into NOTES.md";

const children = [];
const start = (command, args, env) => startIn(children, command, args, env);
let session;
let busAddress;
const dataDir = mkdtempSync(join(tmpdir(), "autowork-e2e-draft-data-"));
const configDir = mkdtempSync(join(tmpdir(), "autowork-e2e-draft-config-"));
const workspace = mkdtempSync(join(tmpdir(), "autowork-e2e-draft-work-"));

const app = new AppWindow({ children, bin, shots, driverPort, nativePort, dataDir, configDir });
async function openApp({ dark }) {
  session = await app.open({ dark, busAddress });
}
async function closeApp() {
  await app.close();
  session = null;
}
const scheme = () => app.scheme();
const screenshots = (name, theme, frame) => app.screenshots(name, theme, frame);
const scrollTo = (css, align) => app.scrollTo(css, align);

const runState = async () => (await session.text('[data-testid="run-state"]')).trim();

/** New automation → Describe it → Draft, with the screenshots of the box and the filled editor. */
async function describeAndDraft(theme) {
  await session.click('[data-testid="new-automation"]');
  await session.waitFind('[data-testid="describe-box"]', LONG);
  await session.type('[data-testid="describe-sentence"]', SENTENCE);
  await session.type('[data-testid="describe-workspace"]', workspace);
  await screenshots("describe", theme, () => scrollTo('[data-testid="describe-box"]', "top"));
  await session.click('[data-testid="describe-draft"]');
  await session.waitFind('[data-testid="draft-summary"]', LONG);
  await screenshots("draft-editor", theme, () => scrollTo('[data-testid="draft-summary"]'));
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(workspace, "README.md"), "a workspace for the draft e2e\n");
  writeFileSync(join(workspace, "NOTES.md"), "# Notes\n");
  const git = (...args) =>
    execFileSync("git", ["-c", "user.name=E2E", "-c", "user.email=e2e@example.com", ...args], { cwd: workspace });
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "initial");

  const bus = start("dbus-daemon", [
    `--config-file=${join(root, "scripts/dbus-session.conf")}`,
    "--nofork",
    "--print-address=1",
  ]);
  busAddress = await firstLine(bus, /^(unix:\S+)/m);
  const mock = start(join(bin, "autowork-mock-llm"), [
    "--script",
    join(root, "tests/e2e/draft-script.json"),
    "--port",
    "0",
  ]);
  const url = await firstLine(mock, /listening on (\S+)/);
  writeFileSync(
    join(dataDir, "providers.json"),
    JSON.stringify({ providers: [{ id: "mock", kind: "openai_compatible", base_url: `${url}/v1` }] }),
  );
  // Drafts use the default model, as a user's first "Connect a model" sets it.
  writeFileSync(
    join(dataDir, "settings.json"),
    JSON.stringify({ default_model: { provider_id: "mock", model_id: "mock-coder" } }),
  );
  await openApp({ dark: false });
});

after(async () => {
  await closeApp();
  for (const child of children.reverse()) child.kill("SIGTERM");
});

test("describe it, see the filled editor and its summary, create, run, follow up", async () => {
  assert.equal(await scheme(), "light");
  await describeAndDraft("light");

  // Every field filled from the draft; nothing saved yet.
  assert.equal(await session.property('[data-testid="field-title"]', "value"), "Weekday notes");
  assert.match(await session.property('[data-testid="field-workspace"]', "value"), /autowork-e2e-draft-work-/);
  assert.equal(await session.property('[data-testid="field-model"]', "value"), "mock/mock-coder");
  assert.equal(await session.property('[data-testid="trigger-kind"]', "value"), "weekdays");
  const summary = await session.text('[data-testid="draft-summary"]');
  assert.match(summary, /Every weekday at 09:00 \(Europe\/Berlin\)/);
  assert.match(summary, /edit files matching NOTES\.md/);
  assert.match(summary, /Off: commands cannot reach it/);
  const adjustments = await session.text('[data-testid="draft-adjustments"]');
  assert.match(adjustments, /Removed allow cargo test … because the sentence does not ask to run commands/);
  assert.match(adjustments, /Turned network access off because the sentence does not ask for the internet/);
  const fires = await session.execute(`return document.querySelectorAll(".draft-fires li").length;`);
  assert.equal(fires, 5, "the next five fires");

  // Create, then run it.
  await session.click('[data-testid="save-automation"]');
  await session.waitFind('[data-testid="automation-row"]', LONG);
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await session.waitFor(async () => (await runState()) === "Succeeded", "the run to succeed", LONG);
  assert.match(await session.text("body"), /Yesterday: 2 commits/);

  // Follow up on the result: a new run that continues the conversation.
  await session.type('[data-testid="follow-up-message"]', "Who made them?");
  await session.click('[data-testid="follow-up-send"]');
  await session.waitFind('[data-testid="follow-up-of"]', LONG);
  await session.waitFor(async () => (await runState()) === "Succeeded", "the follow-up to succeed", LONG);
  assert.match(await session.text("body"), /Both commits are by E2E/);
  // The thread: the run page lists the first run, then this follow-up.
  const thread = await session.waitFor(
    async () => {
      const ids = await session.execute(
        `return [...document.querySelectorAll('[data-testid="thread-run"]')].map((r) => r.dataset.runId);`,
      );
      return ids.length === 2 ? ids : false;
    },
    "the thread on the run page",
    LONG,
  );
  const current = (await session.execute("return window.location.hash;")).split("/").pop();
  assert.equal(thread[1], current, "the follow-up comes second in its thread");
});

test("dark: the describe box and the filled editor", async () => {
  await closeApp();
  await openApp({ dark: true });
  assert.equal(await scheme(), "dark");
  await describeAndDraft("dark");
});
