// Child processes of an e2e test file: started with the test's environment, their first
// matching output line awaited, tauri-driver awaited on its port.

import { spawn } from "node:child_process";

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
