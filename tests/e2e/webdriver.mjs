// A small W3C WebDriver client over fetch, enough to drive the real app through
// tauri-driver (which hands the session to WebKitWebDriver).

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
/** WebDriver's codes for the keys `Session.press` names. */
const NAMED_KEYS = {
  Control: "\uE009",
  Shift: "\uE008",
  Alt: "\uE00A",
  Enter: "\uE007",
  Escape: "\uE00C",
  Tab: "\uE004",
};

/** In the page: a covered 1px dot that changes every 50 ms for 5 s, then goes. */
const REPAINT_FOR_A_WHILE = `
  const dot = document.createElement("div");
  dot.setAttribute("aria-hidden", "true");
  dot.style.cssText = "position: fixed; left: 0; top: 0; width: 1px; height: 1px; z-index: -1; pointer-events: none";
  document.body.append(dot);
  let n = 0;
  const timer = setInterval(() => {
    dot.style.background = n++ % 2 ? "rgba(0, 0, 0, 0.01)" : "rgba(0, 0, 0, 0.02)";
    if (n > 100) {
      clearInterval(timer);
      dot.remove();
    }
  }, 50);
  return true;
`;

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, application) {
    const response = await call(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    return new Session(base, response.sessionId);
  }

  path(suffix) {
    return `/session/${this.id}${suffix}`;
  }

  async find(css) {
    const element = await call(this.base, "POST", this.path("/element"), { using: "css selector", value: css });
    return element[ELEMENT];
  }

  async findAll(css) {
    const elements = await call(this.base, "POST", this.path("/elements"), { using: "css selector", value: css });
    return elements.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches, returning the element. */
  async waitFind(css, timeoutMs = 15000) {
    return this.waitFor(async () => {
      const found = await this.findAll(css);
      return found[0];
    }, `an element matching ${css}`, timeoutMs);
  }

  async click(css) {
    const element = await this.waitFind(css);
    await call(this.base, "POST", this.path(`/element/${element}/click`), {});
  }

  async type(css, text) {
    const element = await this.waitFind(css);
    await call(this.base, "POST", this.path(`/element/${element}/clear`), {});
    await call(this.base, "POST", this.path(`/element/${element}/value`), { text });
  }

  async text(css) {
    const element = await this.waitFind(css);
    return call(this.base, "GET", this.path(`/element/${element}/text`));
  }

  async execute(script, args = []) {
    return call(this.base, "POST", this.path("/execute/sync"), { script, args });
  }

  /** Sets a <select> (or any input) the way React notices: value, then a change event. */
  async select(css, value) {
    await this.waitFind(css);
    const ok = await this.execute(
      `const el = document.querySelector(arguments[0]);
       if (!el) return false;
       const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), "value").set;
       setter.call(el, arguments[1]);
       el.dispatchEvent(new Event("change", { bubbles: true }));
       el.dispatchEvent(new Event("input", { bubbles: true }));
       return el.value === arguments[1];`,
      [css, value],
    );
    if (!ok) throw new Error(`could not select ${value} in ${css}`);
  }

  /** A property of the element matching `css` (`value`, `checked`, ...). */
  async property(css, name) {
    const element = await this.waitFind(css);
    return call(this.base, "GET", this.path(`/element/${element}/property/${name}`));
  }

  async windowRect() {
    return call(this.base, "GET", this.path("/window/rect"));
  }

  /** Resizes the window and waits until the page sees the new viewport. */
  async resize(width, height, timeoutMs = 15000) {
    await call(this.base, "POST", this.path("/window/rect"), { width, height });
    await this.waitFor(
      async () => {
        const [w, h] = await this.execute("return [window.innerWidth, window.innerHeight];");
        return w === width && h === height;
      },
      `a ${width}x${height} viewport`,
      timeoutMs,
    );
  }

  /**
   * A PNG of the window. WebKitWebDriver answers after the page's next paint; the app paints
   * without the GPU compositor (src-tauri/src/shell.rs), and there a page with nothing left to
   * paint never paints again, so the request would hang. For a few seconds a dot under the
   * page (covered by it: nothing shows) changes, and the page paints once more.
   */
  async screenshot() {
    await this.execute(REPAINT_FOR_A_WHILE);
    return Buffer.from(await call(this.base, "GET", this.path("/screenshot")), "base64");
  }

  async waitFor(probe, what, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        const value = await probe();
        if (value) return value;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /**
   * Presses keys the way a person would (WebDriver actions): `chord` is a list of keys held
   * together, e.g. ["Control", "k"] or ["?"]. Named keys: Control, Shift, Alt, Enter, Escape.
   */
  async press(chord) {
    const code = (k) => NAMED_KEYS[k] ?? k;
    const down = chord.map((k) => ({ type: "keyDown", value: code(k) }));
    const up = [...chord].reverse().map((k) => ({ type: "keyUp", value: code(k) }));
    await call(this.base, "POST", this.path("/actions"), {
      actions: [{ type: "key", id: "keyboard", actions: [...down, ...up] }],
    });
    await call(this.base, "DELETE", this.path("/actions")).catch(() => {});
  }

  /**
   * Clicks (a real WebDriver click) the first element matching `css` whose trimmed text is
   * `text`, waiting for one to appear.
   */
  async clickText(css, text, timeoutMs = 15000) {
    const element = await this.waitFor(
      async () => {
        for (const e of await this.findAll(css)) {
          const t = await call(this.base, "GET", this.path(`/element/${e}/text`));
          if (t.trim() === text) return e;
        }
        return null;
      },
      `${css} saying ${text}`,
      timeoutMs,
    );
    await call(this.base, "POST", this.path(`/element/${element}/click`), {});
  }

  /** Resolves after two animation frames: what was changed before is painted. */
  async painted() {
    await this.executeAsync("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));");
  }

  /** Runs `script` as an async function body: it calls `arguments[arguments.length - 1]` with its answer. */
  async executeAsync(script, args = []) {
    return call(this.base, "POST", this.path("/execute/async"), { script, args });
  }

  /** Goes to `hash` (`#/runs?state=failed`) as a link would, and waits until the page shows it. */
  async go(hash) {
    await this.execute("window.location.hash = arguments[0]; return true;", [hash]);
    await this.waitFor(async () => (await this.execute("return window.location.hash;")) === hash, `the page at ${hash}`);
  }

  /** The text content of every element matching `css` (no waiting; [] when none). */
  async texts(css) {
    return this.execute("return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);", [css]);
  }

  async close() {
    await call(this.base, "DELETE", this.path("")).catch(() => {});
  }
}

async function call(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json.value ?? json)}`);
  }
  return json.value;
}
