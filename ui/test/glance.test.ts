import { describe, expect, it } from "vitest";
import type { SandboxSettings } from "../src/bindings";
import { history, permissionSummary, shortPath } from "../src/views/Automations/glance";
import { automation, rules, run } from "./backend";

const enforce: SandboxSettings = { mode: "enforce", network: false, writable: [], env: [] };
const summary = (...list: Parameters<typeof rules>) => permissionSummary({ permissions: rules(...list), sandbox: enforce });

describe("a work directory at a glance", () => {
  it("writes the home directory as ~ and keeps the last two folders", () => {
    expect(shortPath("/home/me/code/acme/api")).toBe("~/…/acme/api");
    expect(shortPath("/home/me/project")).toBe("~/project");
    expect(shortPath("/home/me")).toBe("~");
    expect(shortPath("/Users/ann/work/site")).toBe("~/work/site");
    expect(shortPath("/srv/git/acme/api")).toBe("/…/acme/api");
    expect(shortPath("/srv/api")).toBe("/srv/api");
    expect(shortPath("C:\\Users\\ann\\src\\acme\\api")).toBe("~\\…\\acme\\api");
  });
});

describe("what an automation may do without asking", () => {
  it("asks before every edit and command when no rule allows one", () => {
    expect(summary()).toBe("Asks before every edit and command · no network");
    expect(summary({ tool: "bash", command: ["rm"], action: "deny" })).toBe("Asks before every edit and command · no network");
  });

  it("names allowed commands in code, and says how many more there are", () => {
    expect(
      summary(
        { tool: "bash", command: ["cargo", "test"], action: "allow" },
        { tool: "bash", command: ["git", "status"], exact: true, action: "allow" },
        { tool: "bash", command: ["git", "diff"], action: "allow" },
        { tool: "bash", command: ["ls"], action: "allow" },
        { tool: "bash", command: ["npm", "run", "build step"], action: "allow" },
      ),
    ).toBe("Runs `cargo test`, `git status`, `git diff` and 2 more · no network");
  });

  it("the strictest rule for the same words wins", () => {
    expect(
      summary(
        { tool: "bash", command: ["git", "push"], action: "allow" },
        { tool: "bash", command: ["git", "push"], action: "deny" },
      ),
    ).toBe("Asks before every edit and command · no network");
  });

  it("the last rule over every path decides edits; later path rules refine it", () => {
    expect(summary({ tool: "edit", pattern: "*", action: "allow" })).toBe("Edits files · no network");
    expect(summary({ tool: "*", pattern: "*", action: "allow" })).toBe("Edits files · runs any command · no network");
    expect(summary({ tool: "*", pattern: "**", action: "allow" })).toBe("Edits files · no network");
    expect(
      summary({ tool: "write", pattern: "*", action: "allow" }, { tool: "write", pattern: "secrets/*", action: "deny" }),
    ).toBe("Edits files, with exceptions · no network");
    expect(summary({ tool: "edit", pattern: "*", action: "allow" }, { tool: "edit", pattern: "*", action: "ask" })).toBe(
      "Asks before every edit and command · no network",
    );
    expect(summary({ tool: "edit", pattern: "docs/*", action: "allow" })).toBe("Edits `docs/*` · no network");
  });

  it("says whether processes may use the network, and nothing of it without the sandbox", () => {
    const list = rules({ tool: "bash", command: ["curl"], action: "allow" });
    expect(permissionSummary({ permissions: list, sandbox: { ...enforce, network: true } })).toBe("Runs `curl` · may use the network");
    expect(permissionSummary({ permissions: list, sandbox: { ...enforce, mode: "off" } })).toBe("Runs `curl`");
  });
});

describe("an automation's recent runs", () => {
  const marks = [
    { run_id: "run_3", state: "running" as const, queued_at: "2030-01-03T00:00:00Z" },
    { run_id: "run_2", state: "failed" as const, queued_at: "2030-01-02T00:00:00Z" },
  ];

  it("are the engine's, with the live state of runs seen since", () => {
    const a = automation({
      recent_runs: marks,
      last_run: { run_id: "run_3", state: "running", finished_at: null, cost_usd: 0 },
    });
    const seen = [run({ id: "run_3", state: "succeeded", finished_at: "2030-01-03T00:01:00Z" })];
    const h = history(a, seen);
    expect(h.marks.map((m) => [m.run_id, m.state])).toEqual([
      ["run_3", "succeeded"],
      ["run_2", "failed"],
    ]);
    expect(h.last).toMatchObject({ run_id: "run_3", state: "succeeded", at: "2030-01-03T00:01:00Z" });
  });

  it("keep an ended state over an older active copy of the run", () => {
    const a = automation({
      recent_runs: [{ run_id: "run_3", state: "failed", queued_at: "2030-01-03T00:00:00Z" }],
      last_run: { run_id: "run_3", state: "failed", finished_at: "2030-01-03T00:01:00Z", cost_usd: 0 },
    });
    const h = history(a, [run({ id: "run_3", state: "running" })]);
    expect(h.marks[0].state).toBe("failed");
    expect(h.last?.state).toBe("failed");
  });

  it("put runs newer than the engine's list on top, and keep twenty", () => {
    const many = Array.from({ length: 20 }, (_, i) => ({
      run_id: `run_${String(i).padStart(2, "0")}`,
      state: "succeeded" as const,
      queued_at: "2030-01-01T00:00:00Z",
    })).reverse();
    const a = automation({ recent_runs: many });
    const h = history(a, [run({ id: "run_99", state: "queued" })]);
    expect(h.marks).toHaveLength(20);
    expect(h.marks[0]).toMatchObject({ run_id: "run_99", state: "queued" });
    expect(h.marks[19].run_id).toBe("run_01");
    expect(h.last).toMatchObject({ run_id: "run_99", state: "queued" });
  });
});
