// Desktop benchmark (prints figures, asserts nothing): cold start to the first interactive
// paint with 100 automations, the app's idle memory (the Rust process and its WebKit
// processes), and the UI's frame times while a run streams about 200 tokens a second.
// Run with `make bench-app` (Xvfb and a session bus, like the end-to-end test).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Session } from "./webdriver.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const profile = process.env.BENCH_PROFILE ?? "release";
const bin = join(root, "target", profile);
const cli = join(root, "target/debug/autowork");
const children = [];

function start(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The pid and every descendant's pid. */
function tree(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
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

async function main() {
  const data = mkdtempSync(join(tmpdir(), "autowork-bench-data-"));
  const work = mkdtempSync(join(tmpdir(), "autowork-bench-work-"));
  const words = Array.from({ length: 1200 }, (_, i) => `word${i}`).join(" ");
  const script = join(data, "script.json");
  writeFileSync(script, JSON.stringify({ turns: [{ text: words, chunk_delay_ms: 5 }] }));
  const mock = start(join(root, "target/debug/autowork-mock-llm"), ["--script", script, "--port", "0"]);
  const url = await new Promise((ok) => {
    let seen = "";
    mock.stdout.on("data", (c) => {
      seen += c;
      const m = seen.match(/listening on (\S+)/);
      if (m) ok(m[1]);
    });
  });
  writeFileSync(join(data, "providers.json"), JSON.stringify({ providers: [{ id: "mock", kind: "openai_compatible", base_url: `${url}/v1` }] }));
  for (let i = 0; i < 100; i++) {
    execFileSync(cli, ["--data-dir", data, "automation", "create", "--title", `Automation ${i}`, "--prompt", "Stream a long answer.",
      "--workspace", work, "--model", "mock/mock-coder", "--cron", "0 9 * * 1-5", "--timezone", "Europe/Berlin"]);
  }

  const driver = start("tauri-driver", ["--port", "4444"], { AUTOWORK_DATA_DIR: data });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch("http://127.0.0.1:4444/status")).ok) break;
    } catch {
      await sleep(100);
    }
  }
  const t0 = performance.now();
  const session = await Session.create("http://127.0.0.1:4444", join(bin, "autowork-app"));
  await session.waitFor(async () => (await session.findAll('[data-testid="automation-row"]')).length === 100, "100 rows", 60000);
  const coldStart = performance.now() - t0;
  const inPage = await session.execute("return performance.now();");

  await sleep(5000);
  const app = Number(execFileSync("pgrep", ["-f", `${bin}/autowork-app`]).toString().trim().split("\n")[0]);
  const pids = tree(app);
  const idle = pids.reduce((sum, pid) => sum + rssKiB(pid), 0);

  // Frame times while the run streams: record requestAnimationFrame intervals in the page.
  await session.execute(`
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => { window.__frames.push(now - last); last = now; if (window.__frames.length < 100000) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  `);
  await session.click('[data-testid="automation-row"] [data-testid="run-now"]');
  await session.waitFor(async () => (await session.text('[data-testid="run-state"]')).trim() === "succeeded", "the run to finish", 60000);
  const frames = (await session.execute("return window.__frames;")).slice(5).sort((a, b) => a - b);
  const pct = (p) => frames[Math.min(frames.length - 1, Math.round((frames.length - 1) * p))];

  console.log(`cold start to 100 automations painted   ${coldStart.toFixed(0)} ms (WebDriver session included; ${inPage.toFixed(0)} ms inside the page)`);
  console.log(`idle memory, app + WebKit processes      ${(idle / 1024).toFixed(1)} MiB over ${pids.length} processes`);
  console.log(`frame time while streaming ~200 tok/s    p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, max ${frames[frames.length - 1].toFixed(1)} ms (${frames.length} frames)`);
  await session.close();
  for (const child of children.reverse()) child.kill("SIGTERM");
}

main().catch((e) => {
  console.error(e);
  for (const child of children.reverse()) child.kill("SIGTERM");
  process.exit(1);
});
