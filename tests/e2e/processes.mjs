// Child processes of an e2e test file: started with the test's environment, their first
// matching output line awaited, tauri-driver awaited on its port.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Session } from "./webdriver.mjs";

/** Starts `command`; the process is added to `children` so `after` can stop it. */
export function start(children, command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

/** The first capture group of the first stdout line matching `pattern`. */
export function firstLine(child, pattern, timeoutMs = 20000) {
  return new Promise((resolveLine, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in: ${seen}`)), timeoutMs);
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolveLine(match[1]);
      }
    });
  });
}

/** Waits until tauri-driver answers on `port`. */
export async function waitForDriver(port, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("tauri-driver did not start");
}

/**
 * Waits until nothing listens on `port` (the native WebDriver tauri-driver started may
 * outlive it for a moment, and the next open would find its port taken).
 */
export async function waitForPortFree(port, timeoutMs = 15000) {
  const { createConnection } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const listening = await new Promise((resolveProbe) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolveProbe(true);
      });
      socket.once("error", () => resolveProbe(false));
    });
    if (!listening) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`port ${port} stayed taken`);
}

// ---------------------------------------------------------------------------------------
// Shared by the view tests, the screenshots and the benchmark: a private bus, the scripted
// model server, a seeded data directory, the app behind its own tauri-driver.

/** A TCP port nobody listens on right now (asked of the kernel), for tauri-driver's two ports. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * A private D-Bus session bus that starts no services (`config` is scripts/dbus-session.conf):
 * the app's single-instance lock lives on the bus, so an app of another test file never meets
 * this one, and no Secret Service runs (API keys go to files). Returns its address.
 */
export async function startBus(children, config) {
  const bus = start(children, "dbus-daemon", [`--config-file=${config}`, "--nofork", "--print-address=1"]);
  return firstLine(bus, /^(unix:\S+)/m);
}

/** The scripted model server on a free port; returns its base URL (without `/v1`). */
export async function startMockLlm(children, bin, script) {
  const mock = start(children, join(bin, "autowork-mock-llm"), ["--script", script, "--port", "0"]);
  mock.stderr.on("data", (chunk) => process.stderr.write(`[mock-llm] ${chunk}`));
  return firstLine(mock, /listening on (\S+)/);
}

/** Writes `providers.json` with these providers (`{ id, url, models? }`, OpenAI-compatible, no key). */
export function writeProviders(dataDir, providers) {
  const list = providers.map(({ id, url, models }) => ({
    id,
    kind: "openai_compatible",
    base_url: `${url}/v1`,
    ...(models ? { models } : {}),
  }));
  writeFileSync(join(dataDir, "providers.json"), JSON.stringify({ providers: list }));
}

/**
 * Fills `dataDir` with crates/core/examples/seed (automations, runs over the last 30 days,
 * missed fires). Returns the seed's answer (`{ automations: [ids], runs }`) with `startedAt`
 * and `endedAt`, the clock around it: the seeded runs' times follow from the seed's own now.
 */
export function seed(bin, { dataDir, workspace, automations = 3, runs = 0, missed = 0, model = "mock/mock-coder" }) {
  const startedAt = Date.now();
  const out = execFileSync(join(bin, "examples/seed"), [
    "--data-dir", dataDir, "--workspace", workspace, "--model", model,
    "--automations", String(automations), "--runs", String(runs), "--missed", String(missed),
  ]);
  return { ...JSON.parse(out.toString()), startedAt, endedAt: Date.now() };
}

/**
 * Moves each automation's daily fire to a time from `fromHours` to 23 hours ahead (UTC),
 * spread out, so no schedule fires while a test looks at its figures (a fire would add a
 * run) yet the next-24-hours timeline still has every automation on it.
 */
export function moveSchedules(cli, dataDir, ids, fromHours = 1) {
  const now = new Date();
  ids.forEach((id, i) => {
    const at = new Date(now.getTime() + (fromHours * 60 + ((i * 37) % ((23 - fromHours) * 60))) * 60_000);
    execFileSync(cli, [
      "--data-dir", dataDir, "automation", "update", id, "--expected-revision", "1",
      "--cron", `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, "--timezone", "UTC",
    ], { stdio: "ignore" });
  });
}

/** Removes directories made with `tempDir` (quietly: a leftover is no failure). */
export function removeDirs(...dirs) {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Creates a directory under the system's temp dir. */
export const tempDir = (name) => mkdtempSync(join(tmpdir(), `autowork-e2e-${name}-`));

/**
 * The app behind its own tauri-driver (free ports), with its own data dir, bus, and XDG
 * config and data dirs (window size and web storage start fresh). `dark` starts it with
 * GTK's dark theme, which WebKitGTK turns into `prefers-color-scheme: dark`.
 */
export async function launchApp(children, { bin, dataDir, busAddress, dark = false, env = {}, timeoutMs = 60000 }) {
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const xdg = [tempDir("config"), tempDir("xdg-data")];
  const appEnv = {
    AUTOWORK_DATA_DIR: dataDir,
    DBUS_SESSION_BUS_ADDRESS: busAddress,
    XDG_CONFIG_HOME: xdg[0],
    XDG_DATA_HOME: xdg[1],
    GTK_THEME: dark ? "Adwaita:dark" : "Adwaita",
    // A real key in the environment would make a preset provider ready.
    OPENAI_API_KEY: "",
    ANTHROPIC_API_KEY: "",
    OPENROUTER_API_KEY: "",
    ...env,
  };
  const driver = start(children, "tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], appEnv);
  driver.stderr.on("data", (chunk) => process.stderr.write(`[tauri-driver] ${chunk}`));
  await waitForDriver(port, timeoutMs);
  const session = await Session.create(`http://127.0.0.1:${port}`, join(bin, "autowork-app"));
  const [app] = appProcesses(driver, bin);
  await session.waitFind('[data-testid="nav-automations"]', timeoutMs);
  return {
    session,
    driver,
    /** The app's process and its WebKit processes (now: WebKit starts them as it needs). */
    pids: () => processTree(app),
    /**
     * Ends the session and tauri-driver, and waits until the app's processes are gone
     * (ending them by pid if they outlive the session), so the next app starts clean.
     */
    async close() {
      const pids = processTree(app);
      await session.close();
      await stopChild(driver);
      await endProcesses(pids);
      removeDirs(...xdg);
    },
  };
}

/** The command line of `pid` ("" once it is gone). */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

/** `pid` and every descendant's pid. */
export function processTree(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    for (const [child, parent] of parents) if (parent === all[i]) all.push(child);
  }
  return all;
}

/** The app under this tauri-driver (WebKitWebDriver starts it) and its WebKit processes. */
export function appProcesses(driver, bin) {
  const app = processTree(driver.pid).find((p) => commandLine(p).startsWith(join(bin, "autowork-app")));
  if (!app) throw new Error("the app's process was not found under tauri-driver");
  return processTree(app);
}

/** Waits for `pids` to exit; after `graceMs`, sends SIGTERM, then SIGKILL, to those left. */
export async function endProcesses(pids, graceMs = 15000) {
  const alive = () => pids.filter((p) => commandLine(p) !== "");
  const waitGone = async (ms) => {
    const deadline = Date.now() + ms;
    while (alive().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  };
  await waitGone(graceMs);
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    const left = alive();
    if (!left.length) return;
    process.stderr.write(`[e2e] ${signal} to app processes still running after the session: ${left.join(" ")}\n`);
    for (const p of left) {
      try {
        process.kill(p, signal);
      } catch {
        // gone meanwhile
      }
    }
    await waitGone(5000);
  }
}

/** Sends SIGTERM and waits for the process to exit (at most `timeoutMs`, then SIGKILL). */
export async function stopChild(child, timeoutMs = 10000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}
