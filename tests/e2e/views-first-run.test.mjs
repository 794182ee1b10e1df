// First run in the real window (issue 12): from an empty data directory through "Connect a
// model" (a server of our own: the scripted model server) to a succeeded run, then a run whose
// model asks a free-text question answered in the window.
//
// Run by scripts/e2e.sh (Xvfb). The app gets its own D-Bus bus (no Secret Service runs there,
// so the key goes to a file), its own tauri-driver ports and XDG dirs. The two tests share the
// app and the model server, whose script is consumed in order: the second follows the first.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { launchApp, removeDirs, startBus, startMockLlm, stopChild, tempDir } from "./processes.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
// The machine is slow and shared: waits are generous.
const LONG = 60000;

const children = [];
let app;
let session;
let mockUrl;
const dataDir = tempDir("first-data");
const workspace = tempDir("first-work");

const runState = async () => (await session.text('[data-testid="run-state"]')).trim();

/** Creates an automation in the editor (which the test is on) and saves it. */
async function createAutomation(title, prompt) {
  await session.waitFind('[data-testid="field-title"]', LONG);
  await session.type('[data-testid="field-title"]', title);
  await session.type('[data-testid="field-prompt"]', prompt);
  await session.type('[data-testid="field-workspace"]', workspace);
  await session.click('[data-testid="save-automation"]');
  await session.waitFor(
    async () => !(await session.execute("return window.location.hash;")).startsWith("#/automations/new"),
    "the editor to close after saving",
    LONG,
  );
}

/** Clicks Run now on the automation row titled `title`; the app opens the new run. */
async function runNow(title) {
  await session.click('[data-testid="nav-automations"]');
  await session.waitFor(
    () =>
      session.execute(
        `const row = [...document.querySelectorAll('[data-testid="automation-row"]')]
           .find((r) => r.textContent.includes(arguments[0]));
         if (!row) return false;
         row.querySelector('[data-testid="run-now"]').click();
         return true;`,
        [title],
      ),
    `the row of ${title}`,
    LONG,
  );
  await session.waitFor(
    async () => /^#\/runs\/run_/.test(await session.execute("return window.location.hash;")),
    "the new run's page",
    LONG,
  );
}

before(async () => {
  writeFileSync(join(workspace, "notes.txt"), "hello world\n");
  const busAddress = await startBus(children, join(root, "scripts/dbus-session.conf"));
  mockUrl = await startMockLlm(children, bin, join(root, "tests/e2e/views-first-run-script.json"));
  assert.deepEqual(readdirSync(dataDir), [], "the data directory starts empty");
  app = await launchApp(children, { bin, dataDir, busAddress });
  session = app.session;
});

after(async () => {
  if (app) await app.close();
  for (const child of children.reverse()) await stopChild(child);
  removeDirs(dataDir, workspace);
});

test("first run: connect a server of our own, create an automation, run it, it succeeds", async () => {
  // No provider is ready: the app opens on "Connect a model".
  await session.waitFind("#connect-title", LONG);
  assert.equal(await session.execute("return window.location.hash;"), "#/connect");
  assert.equal(existsSync(join(dataDir, "providers.json")), false, "nothing configured yet");

  await session.click('[data-testid="connect-provider-other"]');
  await session.type('[data-testid="connect-url"]', `${mockUrl}/v1`);
  await session.type('[data-testid="connect-key"]', "sk-e2e-not-a-real-key");
  await session.click('[data-testid="connect-save"]');
  const note = await session.waitFor(
    async () => (await session.findAll('[data-testid="connect-saved"]')).length && session.text('[data-testid="connect-saved"]'),
    "the note saying where the key went",
    LONG,
  );
  // No keychain service runs on the test bus: the key goes to a file only the user can read.
  assert.match(note, /so the key is saved in (\S+), readable only by you\.$/, note);
  const keyFile = note.match(/saved in (\S+), readable/)[1];
  assert.ok(keyFile.startsWith(dataDir), `the key file ${keyFile} is in the data directory`);
  assert.ok(existsSync(keyFile), "the key file exists");

  await session.click('[data-testid="connect-test"]');
  const tested = await session.waitFor(
    async () => {
      const t = await session.texts('[data-testid="connect-test-result"]');
      return t[0];
    },
    "the connection test's outcome",
    LONG,
  );
  assert.equal(tested.trim(), "Connected: 1 model available.");

  // The catalog knows no models of a new server: the model is named by hand.
  assert.equal(await session.property('[data-testid="connect-model"]', "tagName"), "INPUT");
  await session.type('[data-testid="connect-model"]', "mock-coder");
  await session.click('[data-testid="connect-done"]');

  // Done opens a new automation, with the chosen model already picked.
  await session.waitFor(
    async () => (await session.execute("return window.location.hash;")) === "#/automations/new",
    "the editor for a new automation",
    LONG,
  );
  await session.waitFor(
    async () => (await session.property('[data-testid="field-model"]', "value")) === "my-server/mock-coder",
    "the default model in the editor",
    LONG,
  );
  // The model named by hand joined the server's list, so the catalog offers it from now on.
  const providers = JSON.parse(readFileSync(join(dataDir, "providers.json"), "utf8")).providers;
  const mine = providers.find((p) => p.id === "my-server");
  assert.equal(mine.base_url, `${mockUrl}/v1`);
  assert.deepEqual(mine.models, ["mock-coder"]);
  await createAutomation("Read the notes", "Read notes.txt and tell me what it says.");

  await runNow("Read the notes");
  await session.waitFor(async () => (await runState()) === "Succeeded", "the run to succeed", LONG);
  assert.match(await session.text('[data-testid="run-result"]'), /The notes say hello world: nothing to change\./);
  const calls = await session.texts('[data-testid="tool-call"]');
  assert.equal(calls.length, 1, "one tool call in the transcript");
  assert.match(calls[0], /notes\.txt/);

  // Follow up under the result: a new run that continues the conversation (the model's
  // turn expects the words in the user's last message, else it answers 400 and the run fails).
  const first = await session.execute("return window.location.hash;");
  await session.type('[data-testid="follow-up-message"]', "How many words are in it?");
  await session.click('[data-testid="follow-up-send"]');
  await session.waitFor(
    async () => {
      const now = await session.execute("return window.location.hash;");
      return now !== first && /^#\/runs\/run_/.test(now);
    },
    "the follow-up's page",
    LONG,
  );
  // The page shows the new run once it links back to the first (the old one has no link).
  await session.waitFind('[data-testid="follow-up-of"]', LONG);
  await session.waitFor(async () => (await runState()) === "Succeeded", "the follow-up to succeed", LONG);
  assert.match(await session.text('[data-testid="run-result"]'), /Two words: hello and world\./);
  assert.match(await session.text('[data-testid="follow-up-of"]'), /How many words are in it\?/);
  // The thread: the run page lists the first run, then this follow-up, marked as this run.
  const firstId = first.split("/").pop();
  const followUpId = (await session.execute("return window.location.hash;")).split("/").pop();
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
  assert.deepEqual(thread, [firstId, followUpId]);
  // The Runs list: the follow-up right under the run it continues, one level in.
  await session.click('[data-testid="nav-runs"]');
  const rows = await session.waitFor(
    async () => {
      const shown = await session.execute(
        `return [...document.querySelectorAll('[data-testid="run-row"]')]
           .map((r) => [r.dataset.runId, r.dataset.threadDepth ?? "0"]);`,
      );
      return shown.some(([id]) => id === followUpId) ? shown : false;
    },
    "the follow-up in the Runs list",
    LONG,
  );
  const at = rows.findIndex(([id]) => id === firstId);
  assert.deepEqual(rows.slice(at, at + 2), [
    [firstId, "0"],
    [followUpId, "1"],
  ]);
  // Once a provider is ready, the first-run step no longer shows.
  await session.click('[data-testid="nav-automations"]');
  await session.waitFind('[data-testid="automation-row"]', LONG);
});

test("a free-text question is answered in the window and the answer reaches the model", async () => {
  await session.press(["Control", "n"]);
  await createAutomation("Name the release", "Write the release notes; ask me for the name.");
  await runNow("Name the release");

  await session.waitFind('[data-testid="blocker-panel"]', LONG);
  assert.equal(await runState(), "Waiting for you");
  const asked = await session.text('[data-testid="blocker-panel"] label[for="answer-0"]');
  assert.equal(asked.trim(), "What should the release be called?");
  // A question without choices: a text box, no radio buttons, and Submit waits for text.
  assert.equal((await session.findAll('[data-testid="blocker-panel"] input[type="radio"]')).length, 0);
  assert.equal(await session.property('[data-testid="answer-question"]', "disabled"), true);
  await session.type("#answer-0", "Aurora borealis");
  assert.equal(await session.property('[data-testid="answer-question"]', "disabled"), false);
  await session.click('[data-testid="answer-question"]');

  // The model's next turn expects the answer in the last tool result (else it answers 400
  // and the run fails): succeeding is the proof it arrived.
  await session.waitFor(async () => (await runState()) === "Succeeded", "the run to succeed", LONG);
  assert.equal((await session.findAll('[data-testid="blocker-panel"]')).length, 0, "the panel is gone");
  assert.match(await session.text('[data-testid="run-result"]'), /The release is called Aurora borealis\./);
  const question = await session.waitFor(
    async () => (await session.texts('[data-testid="tool-call"]')).find((t) => t.includes("What should the release be called?")),
    "the question in the transcript",
  );
  assert.match(question, /A: Aurora borealis/, "the transcript shows the answer the model got");
});
