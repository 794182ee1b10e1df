// Bash permissions end to end in the real app: a command rule made in the editor, the
// "Try a command" box, a run whose bash calls ask (Always allow adds an exact rule, which
// then lets the same command run without asking), an opaque script that can only be
// allowed once, and the new rule back in the editor. Along the way it takes the
// screenshots in docs/screenshots/ (permissions-try-*, sandbox-off-*, blocker-always-*),
// at 800x600 and 1600x1000, light and dark.
//
// Run by scripts/e2e.sh (which starts Xvfb); the window, its own bus and ports, and the
// screenshots are window.mjs's.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { firstLine, start as startIn } from "./processes.mjs";
import { AppWindow, LONG } from "./window.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
// Screenshots go to target/e2e; AUTOWORK_SCREENSHOTS=docs/screenshots refreshes the README's.
const shots = join(root, process.env.AUTOWORK_SCREENSHOTS ?? "target/e2e");
const driverPort = 4454;
const nativePort = 4455;
const TITLE = "Permissions from the desktop";

const children = [];
const start = (command, args, env) => startIn(children, command, args, env);
let session;
let busAddress;
const dataDir = mkdtempSync(join(tmpdir(), "autowork-e2e-perm-data-"));
const configDir = mkdtempSync(join(tmpdir(), "autowork-e2e-perm-config-"));
const workspace = mkdtempSync(join(tmpdir(), "autowork-e2e-perm-work-"));

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

/** Waits until no toast is showing (they go after a few seconds), for calmer screenshots. */
const noToasts = () =>
  session.waitFor(
    async () => (await session.findAll(".notices .notice")).length === 0,
    "the toasts to go",
    LONG,
  );

/** The Try box's answer: [overall action, [[action, command], ...]] once it names `want` commands. */
async function tryDecision(want) {
  return session.waitFor(
    async () => {
      const answer = await session.execute(
        `const d = document.querySelector('[data-testid="try-decision"]');
         if (!d) return null;
         const rows = [...d.querySelectorAll('[data-testid="try-command-row"]')].map((li) => [
           li.querySelector(".chip").textContent.trim(),
           li.querySelector("code").textContent.trim(),
           li.textContent,
         ]);
         return [d.querySelector('[data-testid="try-action"]').textContent.trim(), rows];`,
      );
      return answer && answer[1].length === want ? answer : null;
    },
    `the Try box to decide ${want} commands`,
    LONG,
  );
}

/** Opens the editor of the automation titled TITLE. */
async function openEditor() {
  await session.click('[data-testid="nav-automations"]');
  await session.waitFind('[data-testid="automation-row"]', LONG);
  await session.click(`button[aria-label="Edit ${TITLE}"]`);
  await session.waitFind("#try-command", LONG);
}

/** Fills the Try box and selects Sandbox Off (unsaved), with the screenshots of both. */
async function tryAndSandboxShots(theme) {
  await session.type("#try-command", "git status; rm -rf build");
  await tryDecision(2);
  await screenshots("permissions-try", theme, () => scrollTo(".try-command", "end"));
  await session.click('[data-testid="sandbox-section"] input[value="off"]');
  await session.waitFind('[data-testid="sandbox-off-warning"]');
  await screenshots("sandbox-off", theme, () => scrollTo('[data-testid="sandbox-section"]', "start"));
  await session.click('[data-testid="sandbox-section"] input[value="enforce"]');
  await session.waitFor(
    async () => (await session.findAll('[data-testid="sandbox-off-warning"]')).length === 0,
    "the sandbox warning to go",
  );
}

async function runState() {
  return (await session.text('[data-testid="run-state"]')).trim();
}

/** Waits for a permission blocker whose summary includes `command`. */
async function blockerFor(command) {
  await session.waitFor(
    async () => {
      const summary = await session.execute(
        `const s = document.querySelector('[data-testid="blocker-panel"] .blocker-summary');
         return s ? s.textContent : "";`,
      );
      return summary.includes(command);
    },
    `a blocker for ${command}`,
    LONG,
  );
}

/** Clicks the button whose text is `label`. */
async function clickButton(label) {
  await session.waitFor(
    () =>
      session.execute(
        `const b = [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === arguments[0]);
         if (!b) return false;
         b.click();
         return true;`,
        [label],
      ),
    `a button ${label}`,
  );
}

const buttons = () =>
  session.execute(
    `return [...document.querySelectorAll('[data-testid="blocker-panel"] .actions button')]
       .map((b) => b.textContent.trim());`,
  );

before(async () => {
  mkdirSync(shots, { recursive: true });
  // A git repository, so `git status` succeeds and the `&&` goes on to the next command.
  writeFileSync(join(workspace, "README.md"), "a workspace for the permissions e2e\n");
  const git = (...args) =>
    execFileSync("git", ["-c", "user.name=E2E", "-c", "user.email=e2e@example.com", ...args], { cwd: workspace });
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "initial");

  // A private session bus for this file's app (it starts nothing of its own).
  const bus = start("dbus-daemon", [
    `--config-file=${join(root, "scripts/dbus-session.conf")}`,
    "--nofork",
    "--print-address=1",
  ]);
  busAddress = await firstLine(bus, /^(unix:\S+)/m);

  const mock = start(join(bin, "autowork-mock-llm"), [
    "--script",
    join(root, "tests/e2e/permissions-script.json"),
    "--port",
    "0",
  ]);
  const url = await firstLine(mock, /listening on (\S+)/);
  writeFileSync(
    join(dataDir, "providers.json"),
    JSON.stringify({ providers: [{ id: "mock", kind: "openai_compatible", base_url: `${url}/v1` }] }),
  );
  await openApp({ dark: false });
});

after(async () => {
  await closeApp();
  for (const child of children.reverse()) child.kill("SIGTERM");
});

test("a command rule from the editor, Always allow, and an opaque script allowed once", async () => {
  assert.equal(await scheme(), "light");

  // The automation, with a rule allowing `git status`.
  await session.click('[data-testid="new-automation"]');
  await session.type('[data-testid="field-title"]', TITLE);
  await session.type('[data-testid="field-prompt"]', "Check the repository and leave a marker.");
  await session.type('[data-testid="field-workspace"]', workspace);
  await session.select('[data-testid="field-model"]', "mock/mock-coder");
  await clickButton("Add rule");
  await session.waitFind('[data-testid="rule"]');
  await session.select('select[aria-label="Rule 1 tool"]', "bash");
  await session.type('input[aria-label="Rule 1 command"]', "git status");
  await session.select('select[aria-label="Rule 1 action"]', "allow");
  await session.type('input[aria-label="Rule 1 reason"]', "Only reads the repository.");
  assert.match(await session.text('[data-testid="rule-words"]'), /Matches commands starting with git status/);

  // Try a command: each command's decision, live.
  await session.type("#try-command", "git status; rm -rf build");
  const [overall, rows] = await tryDecision(2);
  assert.equal(overall, "ask", "the script asks, because of rm");
  assert.deepEqual(
    rows.map(([action, command]) => [action, command]),
    [
      ["allow", "git status"],
      ["ask", "rm -rf build"],
    ],
  );
  assert.match(rows[0][2], /rule 1: allow git status … — Only reads the repository\./);
  assert.match(rows[1][2], /no rule: asks by default/);
  assert.match(await session.text('[data-testid="try-decision"] .try-summary'), /rm -rf build\s+is not allowed by a rule/);
  await tryAndSandboxShots("light");

  await session.click('[data-testid="save-automation"]');
  await session.waitFind('[data-testid="automation-row"]', LONG);

  // Run it: `git status && touch made.txt` asks for touch alone.
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await session.waitFind('[data-testid="blocker-panel"]', LONG);
  await blockerFor("git status && touch made.txt");
  assert.equal(await runState(), "Waiting for you");
  const reason = await session.text('[data-testid="blocker-reason"]');
  assert.match(reason, /^Why it asks: .*touch made\.txt/);
  assert.doesNotMatch(reason, /git status/, "the allowed command is not why it asks");
  assert.equal(
    (await session.text('[data-testid="always-adds"]')).trim(),
    "Always allow adds: allow exactly: touch made.txt",
  );
  assert.deepEqual(await buttons(), ["Allow once", "Always allow", "Reject"]);
  await noToasts();
  await screenshots("blocker-always", "light", () => scrollTo('[data-testid="blocker-panel"]', "top"));
  await session.click('[data-testid="approve-always"]');

  // The same command again runs without asking (the mock checks each call exited 0); the
  // next blocker is the opaque script's, which only Allow once can pass.
  await blockerFor("echo $(date) > out.txt");
  assert.ok(existsSync(join(workspace, "made.txt")), "touch ran");
  assert.deepEqual(await buttons(), ["Allow once", "Reject"]);
  assert.equal((await session.findAll('[data-testid="approve-always"]')).length, 0);
  assert.match(await session.text('[data-testid="once-only"]'), /can only be allowed once/);
  assert.match(await session.text('[data-testid="blocker-reason"]'), /^Why it asks: no rule can allow this script: it uses /);
  await session.click('[data-testid="approve-once"]');

  await session.waitFor(async () => (await runState()) === "Succeeded", "the run to succeed", LONG);
  assert.ok(existsSync(join(workspace, "out.txt")), "the opaque script ran once approved");
  // The transcript has both calls of the command, though only the first one asked.
  const calls = await session.execute(
    `return document.body.textContent.split("git status && touch made.txt").length - 1;`,
  );
  assert.ok(calls >= 2, "the transcript shows both calls of the command");

  // Back in the editor, the rule Always allow added is listed, exact.
  await openEditor();
  await session.waitFor(async () => (await session.findAll('[data-testid="rule"]')).length === 2, "two rules", LONG);
  assert.equal(await session.property('select[aria-label="Rule 2 tool"]', "value"), "bash");
  assert.equal(await session.property('input[aria-label="Rule 2 command"]', "value"), "touch made.txt");
  assert.equal(await session.property('select[aria-label="Rule 2 action"]', "value"), "allow");
  const exact = await session.execute(
    `return [...document.querySelectorAll('[data-testid="rule"]')][1]
       .querySelector('input[type="checkbox"]').checked;`,
  );
  assert.equal(exact, true, "the added rule is exact");
  const words = await session.findAll('[data-testid="rule-words"]');
  assert.equal(words.length, 2);
  assert.match(
    await session.execute(`return document.querySelectorAll('[data-testid="rule-words"]')[1].textContent;`),
    /Matches exactly touch made\.txt/,
  );
  assert.equal(await session.property('input[aria-label="Rule 1 command"]', "value"), "git status");
});

test("dark: the same screens with GTK's dark theme", async () => {
  await closeApp();
  await openApp({ dark: true });
  assert.equal(await scheme(), "dark", "GTK_THEME=Adwaita:dark makes the page prefer dark");

  await openEditor();
  await tryAndSandboxShots("dark");
  await session.execute("history.back(); return true;");

  // A second run: `mkdir -p logs` asks (git status and touch are allowed now).
  await session.waitFind('[data-testid="automation-row"] [data-testid="run-now"]', LONG);
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await blockerFor("git status && mkdir -p logs");
  assert.equal(
    (await session.text('[data-testid="always-adds"]')).trim(),
    "Always allow adds: allow exactly: mkdir -p logs",
  );
  await noToasts();
  await screenshots("blocker-always", "dark", () => scrollTo('[data-testid="blocker-panel"]', "top"));
  await session.click('[data-testid="approve-once"]');
  await session.waitFor(async () => (await runState()) === "Succeeded", "the second run to succeed", LONG);
  assert.ok(existsSync(join(workspace, "logs")));
});
