// What an automation row says at a glance: where it works, what it may do without asking,
// and its recent runs, corrected live by the runs the window has seen since.
import type { Automation, Placement, PermissionRule, Run, RunState, SandboxSettings } from "../../api";
import { isActive } from "../../stores/runs";
import { joinWords } from "../Editor/words";

/** Home directories as the OSes lay them out: `/home/me`, `/Users/me`, `C:\Users\me`. */
const HOME = /^(\/home\/[^/]+|\/Users\/[^/]+|\/root|[A-Za-z]:\\Users\\[^\\]+)(?=$|[/\\])/;

/**
 * A work directory shortened for a row: `~` for the home directory and its last two
 * folders (`~/…/acme/api`); the full path goes in the title.
 */
export function shortPath(path: string): string {
  const sep = path.includes("\\") && !path.includes("/") ? "\\" : "/";
  const home = HOME.exec(path);
  const root = home ? "~" : path.startsWith(sep) ? "" : null;
  const rest = home ? path.slice(home[0].length) : path;
  const parts = rest.split(sep).filter(Boolean);
  if (parts.length <= 2) return root === null ? parts.join(sep) : [root, ...parts].join(sep) || sep;
  const tail = parts.slice(-2).join(sep);
  return root === null ? `…${sep}${tail}` : `${root}${sep}…${sep}${tail}`;
}

export function placementText(placement: Placement): string {
  return placement.kind === "worktree" ? "in a worktree" : "in place";
}

const CATCH_ALL = new Set(["*", "**", "**/*"]);
const EDIT_TOOLS = new Set(["write", "edit", "*"]);
const STRICTNESS = { allow: 0, ask: 1, deny: 2 } as const;
const MAX_COMMANDS = 3;

const quoted = (text: string) => `\`${text}\``;

/** What file edits the rules allow: "Edits files", "Edits `docs/*`", or nothing. */
function editsPart(rules: readonly PermissionRule[]): string | null {
  const fileRules = rules.filter((r) => EDIT_TOOLS.has(r.tool) && !r.command && r.pattern);
  // The last rule matching every path decides what no later rule refines.
  let base = -1;
  fileRules.forEach((r, i) => {
    if (CATCH_ALL.has(r.pattern ?? "")) base = i;
  });
  const later = fileRules.slice(base + 1);
  if (base >= 0 && fileRules[base].action === "allow") {
    return later.some((r) => r.action !== "allow") ? "Edits files, with exceptions" : "Edits files";
  }
  // Last matching rule wins: a pattern allowed and later asked or denied again is not allowed.
  const allowed = later
    .filter((r, i) => r.action === "allow" && !later.slice(i + 1).some((o) => o.pattern === r.pattern && o.action !== "allow"))
    .map((r) => r.pattern as string);
  const unique = [...new Set(allowed)];
  if (unique.length === 0) return null;
  return `Edits ${listed(unique)}`;
}

/** Which shell commands run without asking: "runs `cargo test`, `git status`". */
function commandsPart(rules: readonly PermissionRule[]): string | null {
  // A `*` rule with pattern `*` is the empty prefix: it matches every command.
  const bash = rules
    .map((r) => {
      if (r.tool === "bash" && r.command && r.command.length > 0) return { words: r.command, exact: r.exact, action: r.action };
      if (r.tool === "*" && !r.command && r.pattern === "*") return { words: [], exact: false, action: r.action };
      return null;
    })
    .filter((r) => r !== null);
  // Rules with the same words: the strictest decides.
  const decided = new Map<string, { words: string[]; action: PermissionRule["action"] }>();
  for (const r of bash) {
    const key = `${r.exact ? "=" : "^"}${JSON.stringify(r.words)}`;
    const kept = decided.get(key);
    if (!kept || STRICTNESS[r.action] > STRICTNESS[kept.action]) decided.set(key, r);
  }
  const rulesLeft = [...decided.values()];
  const allowed = rulesLeft.filter((r) => r.action === "allow");
  if (allowed.some((r) => r.words.length === 0)) {
    return rulesLeft.some((r) => r.action !== "allow") ? "runs any command, with exceptions" : "runs any command";
  }
  if (allowed.length === 0) return null;
  const names = [...new Set(allowed.map((r) => joinWords(r.words)))];
  return `runs ${listed(names)}`;
}

function listed(items: string[]): string {
  const shown = items.slice(0, MAX_COMMANDS).map(quoted).join(", ");
  return items.length > MAX_COMMANDS ? `${shown} and ${items.length - MAX_COMMANDS} more` : shown;
}

function networkPart(sandbox: SandboxSettings): string | null {
  // Without the sandbox nothing is confined: the row's "Sandbox off" badge says so.
  if (sandbox.mode === "off") return null;
  return sandbox.network ? "may use the network" : "no network";
}

/**
 * What the automation may do without asking, in one line, code in backticks:
 * "Edits files · runs `cargo test`, `git status` · no network". Reading and searching are
 * allowed by default and not mentioned.
 */
export function permissionSummary(a: Pick<Automation, "permissions" | "sandbox">): string {
  const edits = editsPart(a.permissions);
  const commands = commandsPart(a.permissions);
  const first = edits && commands ? [edits, commands] : edits ? [edits] : commands ? [capitalize(commands)] : ["Asks before every edit and command"];
  const network = networkPart(a.sandbox);
  return [...first, ...(network ? [network] : [])].join(" · ");
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** One run of the history strip. */
export interface Mark {
  run_id: string;
  state: RunState;
  queued_at: string;
}

export interface History {
  /** The newest run: the engine's `last_run`, unless the window has seen a newer one. */
  last: { run_id: string; state: RunState; at: string | null; run?: Run } | null;
  /** Newest first, at most `RECENT` (the engine's list, with live states). */
  marks: Mark[];
}

export const RECENT = 20;

/**
 * The automation's recent runs as the engine summarised them, corrected by the runs seen
 * since (events): the engine updates an automation only when a run ends, so a run that
 * just started, or one that moved on, comes from the runs store.
 */
export function history(a: Automation, seen: readonly Run[]): History {
  const byId = new Map(seen.map((r) => [r.id, r]));
  const marks: Mark[] = (a.recent_runs ?? []).map((m) => {
    const live = byId.get(m.run_id);
    return live ? { ...m, state: fresher(m.state, live.state) } : m;
  });
  // Ids sort by time: runs newer than the engine's newest go on top.
  const newest = marks[0]?.run_id ?? a.last_run?.run_id ?? "";
  const newer = seen.filter((r) => r.id > newest).sort((x, y) => (x.id < y.id ? 1 : -1));
  const all = [...newer.map((r) => ({ run_id: r.id, state: r.state, queued_at: r.queued_at })), ...marks].slice(0, RECENT);

  let last: History["last"] = null;
  if (newer.length > 0) {
    const r = newer[0];
    last = { run_id: r.id, state: r.state, at: r.finished_at ?? r.started_at ?? r.queued_at, run: r };
  } else if (a.last_run) {
    const r = byId.get(a.last_run.run_id);
    last = {
      run_id: a.last_run.run_id,
      state: r ? fresher(a.last_run.state, r.state) : a.last_run.state,
      at: r?.finished_at ?? a.last_run.finished_at,
      run: r,
    };
  }
  return { last, marks: all };
}

/** A run only moves forward: an ended state beats an active one, whichever copy is older. */
function fresher(engine: RunState, seen: RunState): RunState {
  return isActive(seen) && !isActive(engine) ? engine : seen;
}
