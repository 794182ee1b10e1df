// The app's window for one e2e test file: tauri-driver on the file's own ports, the app on the
// file's own data dir, D-Bus session bus and config dir (so it never meets the app of another
// test file: the single-instance plugin would make a second app on one bus exit), and the
// window's screenshots at each size.
//
// The colour scheme: the UI follows `prefers-color-scheme`, which WebKitGTK takes from GTK;
// the dark half of a test opens the app again with GTK_THEME=Adwaita:dark.

import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { start, waitForDriver, waitForPortFree } from "./processes.mjs";
import { Session } from "./webdriver.mjs";

export const SIZES = [
  [800, 600],
  [1600, 1000],
];
// The machine is slow and shared: waits are generous.
export const LONG = 60000;

export class AppWindow {
  /**
   * `children` collects the processes started (the caller ends them); `bin` holds the app;
   * `shots` is where screenshots go.
   */
  constructor({ children, bin, shots, driverPort, nativePort, dataDir, configDir }) {
    Object.assign(this, { children, bin, shots, driverPort, nativePort, dataDir, configDir });
    this.driver = null;
    this.session = null;
  }

  /** Starts tauri-driver and the app (light, or dark through GTK's theme); returns the session. */
  async open({ dark, busAddress }) {
    const env = {
      AUTOWORK_DATA_DIR: this.dataDir,
      DBUS_SESSION_BUS_ADDRESS: busAddress,
      // The window-state plugin keeps the window size here; the tests resize the window.
      XDG_CONFIG_HOME: this.configDir,
      GTK_THEME: dark ? "Adwaita:dark" : "Adwaita",
    };
    const ports = ["--port", String(this.driverPort), "--native-port", String(this.nativePort)];
    this.driver = start(this.children, "tauri-driver", ports, env);
    this.driver.stderr.on("data", (chunk) => process.stderr.write(`[tauri-driver] ${chunk}`));
    await waitForDriver(this.driverPort);
    this.session = await Session.create(`http://127.0.0.1:${this.driverPort}`, join(this.bin, "autowork-app"));
    await this.session.waitFind('[data-testid="nav-automations"]', LONG);
    return this.session;
  }

  async close() {
    if (this.session) await this.session.close();
    this.session = null;
    const driver = this.driver;
    if (driver && driver.exitCode === null && driver.signalCode === null) {
      const exited = new Promise((r) => driver.once("exit", r));
      driver.kill("SIGTERM");
      await exited;
    }
    this.driver = null;
    await waitForPortFree(this.nativePort);
    await waitForPortFree(this.driverPort);
  }

  /** "dark" or "light", as the page sees it. */
  scheme() {
    return this.session.execute('return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";');
  }

  /**
   * Saves a screenshot at each size; `frame` (run after each resize) scrolls what the shot is
   * about into view. The window goes back to its first size afterwards.
   */
  async screenshots(name, theme, frame) {
    const session = this.session;
    const { width, height } = await session.windowRect();
    for (const [w, h] of SIZES) {
      await session.resize(w, h);
      await frame();
      // Two frames, so the scroll and layout are painted before the shot.
      await session.execute(
        "return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));",
      );
      writeFileSync(join(this.shots, `${name}-${w}-${theme}.png`), await session.screenshot());
    }
    await session.resize(width, height);
  }

  /**
   * Scrolls the view so the element matching `css` shows: its top just under the editor's
   * sticky header ("start"), its bottom at the bottom of the view ("end"), or the view at
   * its top ("top"). Only the view's own scroller moves (scrollIntoView would also shift the
   * whole window, whose overflow is hidden but still scrollable).
   */
  scrollTo(css, align = "start") {
    return this.session.execute(
      `const el = document.querySelector(arguments[0]);
       if (!el) return false;
       for (const root of [document.scrollingElement, document.body, document.getElementById("root")]) {
         if (root) root.scrollTop = 0;
       }
       let scroller = el.parentElement;
       while (scroller && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement;
       if (!scroller) return false;
       if (arguments[1] === "top") {
         for (let s = scroller; s; s = s.parentElement) s.scrollTop = 0;
         el.querySelectorAll("*").forEach((c) => { if (c.scrollTop) c.scrollTop = 0; });
         return true;
       }
       const box = el.getBoundingClientRect();
       const view = scroller.getBoundingClientRect();
       const header = document.querySelector(".editor > .view-header");
       const top = header ? header.getBoundingClientRect().bottom : view.top;
       scroller.scrollTop += arguments[1] === "end" ? box.bottom - view.bottom + 12 : box.top - top - 8;
       return true;`,
      [css, align],
    );
  }
}
