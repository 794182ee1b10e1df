import { localTimeZone, ruleRow, type Form } from "../Editor/form";

export interface Template {
  id: string;
  title: string;
  summary: string;
  /** Fills a fresh form (which already carries the default model and step cap). */
  apply: (form: Form) => Form;
}

const nightlyPrompt = `Run the test suite (cargo test for Rust, npm test for JavaScript; whichever this project uses).
If everything passes, say so in one line and stop.
If something fails, find the cause, make the smallest fix, and run the tests again until they pass.
Finish with a short summary: what failed, why, and what you changed (files and a sentence each).`;

const depsPrompt = `Bump this project's dependencies to their latest compatible versions
(cargo update for Rust, npm update for JavaScript), then build and run the tests.
If something breaks, fix it or roll that one dependency back.
Finish with a summary for a pull request: which dependencies moved (from -> to), anything notable in their changelogs, and what you had to change.`;

const commitsPrompt = `Summarize the commits of the last day in this repository (use git log --since=yesterday with stats).
Group them by area, name the authors, and point out anything risky (large changes, migrations, dependency bumps).
Do not change any file.`;

export const TEMPLATES: Template[] = [
  {
    id: "nightly-tests",
    title: "Nightly: run the tests and fix what broke",
    summary: "Every night at 02:00 it runs the tests; when they fail it fixes the cause. Test commands run freely, edits ask you.",
    apply: (f) => ({
      ...f,
      title: "Nightly: run the tests and fix what broke",
      prompt: nightlyPrompt,
      triggerKind: "cron",
      cronExpression: "0 2 * * *",
      cronTimezone: localTimeZone(),
      permissions: [
        ruleRow("bash", "cargo test", "allow"),
        ruleRow("bash", "npm test", "allow"),
        ruleRow("edit", "*", "ask"),
        ruleRow("write", "*", "ask"),
      ],
      timeoutMinutes: "60",
      budgetUsd: "2",
      waitForInput: true,
    }),
  },
  {
    id: "weekly-deps",
    title: "Weekly: bump dependencies and summarize",
    summary: "Mondays at 09:00 it updates dependencies, runs the tests and writes a summary of what moved.",
    apply: (f) => ({
      ...f,
      title: "Weekly: bump dependencies and summarize",
      prompt: depsPrompt,
      triggerKind: "cron",
      cronExpression: "0 9 * * 1",
      cronTimezone: localTimeZone(),
      permissions: [
        ruleRow("bash", "cargo update", "allow"),
        ruleRow("bash", "npm update", "allow"),
        ruleRow("bash", "cargo build", "allow"),
        ruleRow("bash", "cargo test", "allow"),
        ruleRow("bash", "npm test", "allow"),
        ruleRow("edit", "*", "ask"),
        ruleRow("write", "*", "ask"),
      ],
      timeoutMinutes: "90",
      budgetUsd: "3",
    }),
  },
  {
    id: "daily-commits",
    title: "Daily: summarize yesterday's commits",
    summary: "Weekdays at 08:30 a read-only summary of the last day's commits. It can read and run git log; any other command asks.",
    apply: (f) => ({
      ...f,
      title: "Daily: summarize yesterday's commits",
      prompt: commitsPrompt,
      triggerKind: "cron",
      cronExpression: "30 8 * * 1-5",
      cronTimezone: localTimeZone(),
      // Edits are denied; git log runs; any other command asks (and an unattended run
      // that would have to ask fails instead of waiting).
      permissions: [
        ruleRow("edit", "*", "deny"),
        ruleRow("write", "*", "deny"),
        ruleRow("bash", "git log", "allow", {
          reason: "read-only history",
          matching: "git log --since=yesterday --stat",
          notMatching: "git push",
        }),
      ],
      timeoutMinutes: "15",
      budgetUsd: "0.5",
    }),
  },
];
