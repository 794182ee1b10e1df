// Settings → Database in the real app: choose a team database, Test connection against the
// PostgreSQL of scripts/with-postgres.sh (when AUTOWORK_TEST_POSTGRES_URL is set; otherwise a
// closed port, whose error shows under the URL), Save, and the "Restart now" offer.
// Screenshots (database-*) at 800x600 and 1600x1000, light and dark. Then a saved team
// database that cannot be reached: the app still opens, on this computer's database, and
// Settings → Database says why (database-unreachable-*). With a server: the app on the team
// database beside a daemon that serves a folder, both listed as workers (database-workers-*).
//
//   E2E_DISPLAY=97 scripts/with-postgres.sh ./scripts/e2e.sh --test tests/e2e/database.test.mjs

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { firstLine, start as startIn } from "./processes.mjs";
import { AppWindow, LONG } from "./window.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const bin = join(root, "target/debug");
const shots = join(root, process.env.AUTOWORK_SCREENSHOTS ?? "target/e2e");
const server = process.env.AUTOWORK_TEST_POSTGRES_URL;
const url = server ?? "postgres://ann@127.0.0.1:9/autowork";

const children = [];
const start = (command, args, env) => startIn(children, command, args, env);
let busAddress;
const dataDir = mkdtempSync(join(tmpdir(), "autowork-e2e-database-data-"));
const configDir = mkdtempSync(join(tmpdir(), "autowork-e2e-database-config-"));
const app = new AppWindow({ children, bin, shots, driverPort: 4474, nativePort: 4475, dataDir, configDir });

before(async () => {
  mkdirSync(shots, { recursive: true });
  const bus = start("dbus-daemon", [
    `--config-file=${join(root, "scripts/dbus-session.conf")}`,
    "--nofork",
    "--print-address=1",
  ]);
  busAddress = await firstLine(bus, /^(unix:\S+)/m);
});

after(async () => {
  await app.close();
  for (const child of children.reverse()) child.kill("SIGTERM");
});

async function chooseTestAndSave(theme) {
  const session = await app.open({ dark: theme === "dark", busAddress });
  assert.equal(await app.scheme(), theme);
  await session.click('[data-testid="nav-settings"]');
  await session.waitFind('[data-testid="database"]', LONG);
  await session.click('[data-testid="store-team"]');
  await session.type("#store-url", url);
  await session.click('[data-testid="store-test"]');
  if (server) {
    const report = await session.waitFind('[data-testid="store-report"]', LONG);
    assert.ok(report);
    assert.match(await session.text('[data-testid="store-report"]'), /Connected\.[\s\S]*PostgreSQL \d+/);
  } else {
    await session.waitFind('[data-testid="database"] .field-error', LONG);
    assert.match(await session.text('[data-testid="database"]'), /The server cannot be reached\./);
  }
  await session.click('[data-testid="store-save"]');
  await session.waitFind('[data-testid="store-restart"]', LONG);
  assert.match(
    await session.text('[data-testid="store-restart"]'),
    /Autowork uses the team database after a restart/,
  );
  await app.screenshots("database", theme, () => app.scrollTo('[data-testid="database"]'));
  await app.close();
  // The saved choice would open the team database at the next start: back to this computer.
  rmSync(join(dataDir, "settings.json"), { force: true });
}

test("light: a team database tested, saved, restart offered", async () => {
  await chooseTestAndSave("light");
});

test("dark: the same", async () => {
  await chooseTestAndSave("dark");
});

test("a saved team database that cannot be reached: the app opens on this computer's and says why", async () => {
  // Nothing listens on port 9 (discard) here: the connection is refused at once.
  writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ store: "postgres://ann@127.0.0.1:9/autowork" }));
  for (const theme of ["light", "dark"]) {
    const session = await app.open({ dark: theme === "dark", busAddress });
    await session.click('[data-testid="nav-settings"]');
    const alert = await session.waitFind('[data-testid="store-unreachable"]', LONG);
    assert.ok(alert);
    assert.match(
      await session.text('[data-testid="store-unreachable"]'),
      /could not be opened when Autowork started, so it is using this computer's database/,
    );
    assert.match(await session.text('[data-testid="store-restart"]'), /tries the team database again at its next start/);
    await app.screenshots("database-unreachable", theme, () => app.scrollTo('[data-testid="database"]'));
    await app.close();
  }
  rmSync(join(dataDir, "settings.json"), { force: true });
});

test("on a team database: the app and a daemon on another machine are listed as workers", { skip: !server && "no PostgreSQL (run under scripts/with-postgres.sh)" }, async () => {
  const served = mkdtempSync(join(tmpdir(), "autowork-e2e-served-"));
  const daemonData = mkdtempSync(join(tmpdir(), "autowork-e2e-daemon-data-"));
  const daemon = start(join(bin, "autowork"), ["daemon", "--serve", served], {
    AUTOWORK_DATA_DIR: daemonData,
    AUTOWORK_STORE: server,
    AUTOWORK_HOST_ID: "build-server",
  });
  writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ store: server }));
  try {
    for (const theme of ["light", "dark"]) {
      const session = await app.open({ dark: theme === "dark", busAddress });
      await session.click('[data-testid="nav-settings"]');
      await session.waitFind('[data-testid="workers"] li', LONG);
      const deadline = Date.now() + LONG;
      let listed = "";
      while (Date.now() < deadline && !/build-server/.test(listed)) {
        listed = await session.text('[data-testid="workers"]');
        if (!/build-server/.test(listed)) await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(listed, /build-server \(daemon\) serves \/\S*autowork-e2e-served-/);
      assert.match(listed, /\(app, this app\) serves every folder it has/);
      await app.screenshots("database-workers", theme, () => app.scrollTo('[data-testid="workers"]'));
      await app.close();
    }
  } finally {
    daemon.kill("SIGTERM");
    rmSync(join(dataDir, "settings.json"), { force: true });
  }
});
