// End to end in the real app: the built Tauri binary under Xvfb with a D-Bus session bus,
// driven through tauri-driver + WebKitWebDriver, against the scripted model server.
// Run by scripts/e2e.sh (which starts Xvfb and the bus); screenshots go to target/e2e/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { startNotificationDaemon } from "./notifications.mjs";
import { firstLine, start as startIn, waitForDriver as waitForDriverOn } from "./processes.mjs";
import { Session } from "./webdriver.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
const out = join(root, "target/e2e");
const driverPort = 4444;
const children = [];
const start = (command, args, env) => startIn(children, command, args, env);
const waitForDriver = () => waitForDriverOn(driverPort);
let session;
let notifier;
const dataDir = mkdtempSync(join(tmpdir(), "autowork-e2e-data-"));
const workspace = mkdtempSync(join(tmpdir(), "autowork-e2e-work-"));

async function shot(name) {
  writeFileSync(join(out, `${name}.png`), await session.screenshot());
}

before(async () => {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(workspace, "notes.txt"), "hello world\n");

  notifier = await startNotificationDaemon();

  const mock = start(join(bin, "autowork-mock-llm"), ["--script", join(root, "tests/e2e/e2e-script.json"), "--port", "0"]);
  const url = await firstLine(mock, /listening on (\S+)/);
  writeFileSync(
    join(dataDir, "providers.json"),
    JSON.stringify({ providers: [{ id: "mock", kind: "openai_compatible", base_url: `${url}/v1` }] }),
  );

  const driver = start("tauri-driver", ["--port", String(driverPort)], { AUTOWORK_DATA_DIR: dataDir });
  driver.stderr.on("data", (chunk) => process.stderr.write(`[tauri-driver] ${chunk}`));
  await waitForDriver();
  session = await Session.create(`http://127.0.0.1:${driverPort}`, join(bin, "autowork-app"));
});

after(async () => {
  if (session) await session.close();
  if (notifier) notifier.stop();
  for (const child of children.reverse()) child.kill("SIGTERM");
});

test("create an automation, run it, approve the edit from the blocker panel, see it succeed", async () => {
  await session.waitFind('[data-testid="nav-automations"]');
  await shot("01-automations-empty");

  await session.click('[data-testid="new-automation"]');
  await session.type('[data-testid="field-title"]', "Greet from the desktop");
  await session.type('[data-testid="field-prompt"]', "Update the greeting in notes.txt.");
  await session.type('[data-testid="field-workspace"]', workspace);
  await session.select('[data-testid="field-model"]', "mock/mock-coder");
  await shot("02-editor");
  await session.click('[data-testid="save-automation"]');

  await session.click('[data-testid="nav-automations"]');
  await session.waitFind('[data-testid="automation-row"]');
  await shot("03-automations");
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');

  // Leave the run, so the blocker is announced with a notification.
  await session.click('[data-testid="nav-automations"]');
  const notice = await session.waitFor(
    async () => notifier.daemon.received.find((n) => n.summary === "Greet from the desktop"),
    "a Notify call on the session bus",
    20000,
  );
  assert.equal(notice.body, "wants to edit notes.txt", "the notification says what the run needs");
  assert.deepEqual(notice.actions, ["default", "Open", "approve", "Approve once", "deny", "Deny"]);

  await session.click('[data-testid="nav-inbox"]');
  await shot("04-inbox");
  await session.click('[data-testid="inbox-item"]');
  await session.waitFind('[data-testid="blocker-panel"]');
  assert.equal((await session.text('[data-testid="run-state"]')).trim(), "Waiting for you");
  await shot("05-blocker");
  await session.click('[data-testid="approve-once"]');

  await session.waitFor(
    async () => (await session.text('[data-testid="run-state"]')).trim() === "Succeeded",
    "the run to succeed",
    20000,
  );
  await shot("06-run-succeeded");
  assert.equal(readFileSync(join(workspace, "notes.txt"), "utf8"), "hello from the desktop\n");
  // Outside git, the review lists what the edit tool changed.
  await session.waitFor(
    async () => (await session.text('[data-testid="run-changes-file"]')).includes("notes.txt"),
    "the changed file in the run's review",
  );

  await session.click('[data-testid="nav-settings"]');
  await shot("07-settings");
  await session.click('[data-testid="nav-templates"]');
  await shot("08-templates");
});

test("approve a permission from the notification's action", async () => {
  writeFileSync(join(workspace, "notes.txt"), "hello world\n");
  const before = notifier.daemon.received.length;
  await session.click('[data-testid="nav-automations"]');
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await session.click('[data-testid="nav-automations"]');
  const notice = await session.waitFor(
    async () => notifier.daemon.received.slice(before).find((n) => n.actions.includes("approve")),
    "a notification with an Approve action",
    20000,
  );
  notifier.click(notice.id, "approve");
  await session.waitFor(
    async () => readFileSync(join(workspace, "notes.txt"), "utf8") === "hello from the desktop\n",
    "the approved edit on disk",
    20000,
  );
  await session.click('[data-testid="nav-inbox"]');
  await session.click('[data-testid="inbox-item"]');
  await session.waitFor(
    async () => (await session.text('[data-testid="run-state"]')).trim() === "Succeeded",
    "the run to succeed",
    20000,
  );
});

test("a worktree run leaves the workspace alone until its changes are applied", async () => {
  const repo = mkdtempSync(join(tmpdir(), "autowork-e2e-repo-"));
  writeFileSync(join(repo, "notes.txt"), "hello world\n");
  const git = (...args) =>
    execFileSync("git", ["-c", "user.name=E2E", "-c", "user.email=e2e@example.com", ...args], { cwd: repo });
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "initial");

  await session.click('[data-testid="nav-automations"]');
  await session.click('[data-testid="new-automation"]');
  await session.type('[data-testid="field-title"]', "Review in a worktree");
  await session.type('[data-testid="field-prompt"]', "Update the greeting in notes.txt.");
  await session.type('[data-testid="field-workspace"]', repo);
  await session.select('[data-testid="field-model"]', "mock/mock-coder");
  await session.type("#field-worktree", "greet");
  await session.click('[data-testid="save-automation"]');

  await session.click('[data-testid="nav-automations"]');
  await session.waitFind('[data-testid="automation-row"]');
  await session.execute(
    `const row = [...document.querySelectorAll('[data-testid="automation-row"]')]
       .find((r) => r.textContent.includes(arguments[0]));
     row.querySelector('[data-testid="run-now"]').click();`,
    ["Review in a worktree"],
  );
  await session.waitFind('[data-testid="blocker-panel"]', 20000);
  await session.click('[data-testid="approve-once"]');
  await session.waitFor(
    async () => (await session.text('[data-testid="run-state"]')).trim() === "Succeeded",
    "the worktree run to succeed",
    20000,
  );
  assert.equal(readFileSync(join(repo, "notes.txt"), "utf8"), "hello world\n", "the workspace is untouched");
  assert.equal(
    readFileSync(join(repo, ".autowork/worktrees/greet/notes.txt"), "utf8"),
    "hello from a worktree\n",
  );
  await session.waitFor(
    async () => (await session.text('[data-testid="run-changes-summary"]')).includes("1 file"),
    "the run's change summary",
  );
  await session.execute(`document.querySelector('[data-testid="run-changes"]').scrollIntoView()`);
  await shot("09-worktree-review");

  await session.click('[data-testid="apply-run"]');
  await session.waitFor(
    async () => (await session.text('[data-testid="run-review"]')).includes("Applied as"),
    "the review to say applied",
  );
  await shot("10-worktree-applied");
  assert.equal(readFileSync(join(repo, "notes.txt"), "utf8"), "hello from a worktree\n");
  assert.match(git("log", "--format=%s").toString(), /^Review in a worktree\n/);
});
