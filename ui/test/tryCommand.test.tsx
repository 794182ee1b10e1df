import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { BashDecision } from "../src/bindings";
import { automation, callsOf, mockBackend, rules } from "./backend";
import { renderAt } from "./render";

const decision: BashDecision = {
  action: "ask",
  commands: [
    {
      argv: ["cargo", "test", "--all"],
      via: ["timeout", "sh"],
      action: "allow",
      rule: { index: 0, rule: "allow cargo test …", reason: "tests are safe" },
    },
    { argv: ["rm", "-rf", "build dir"], via: [], action: "ask", rule: null },
  ],
  opaque: ["command substitution (`$(...)` or backticks)"],
  text_rules: [],
};

describe("try a command", () => {
  it("shows a hint with an example while the box is empty", async () => {
    const calls = mockBackend();
    renderAt("#/automations/new");
    await screen.findByLabelText("Try a command");
    expect(screen.getByText(/Type a command as the agent would run it/)).toHaveTextContent(
      "cargo test --all && git status",
    );
    expect(callsOf(calls, "check_command")).toHaveLength(0);
  });

  it("checks the unsaved rules once typing pauses and explains each command", async () => {
    const calls = mockBackend({
      get_automation: () =>
        automation({
          permissions: rules(
            // Still being typed in the form below: left out of the check.
            { tool: "bash", command: ["ls"], action: "allow" },
            { tool: "bash", command: ["cargo", "test"], action: "deny", reason: "tests are safe" },
          ),
        }),
      check_command: () => decision,
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    // Unsaved edits count: rule 1 emptied (skipped), rule 2 now allows.
    await user.clear(await screen.findByLabelText("Rule 1 command"));
    await user.selectOptions(screen.getByLabelText("Rule 2 action"), "allow");
    const script = "timeout 60 sh -c 'cargo test --all' && rm -rf 'build dir' $(x)";
    await user.type(screen.getByLabelText("Try a command"), script);

    const result = await screen.findByTestId("try-decision");
    // Debounced: one call for the whole text, with the form's rules in their wire shape.
    expect(callsOf(calls, "check_command")).toEqual([
      {
        permissions: [{ tool: "bash", command: ["cargo", "test"], action: "allow", reason: "tests are safe" }],
        command: script,
      },
    ]);
    expect(within(result).getByTestId("try-action")).toHaveTextContent("ask");
    expect(within(result).getByTestId("try-action")).toHaveClass("chip-ask");
    expect(result).toHaveTextContent("Asks you: no rule can allow this script");

    const rows = within(result).getAllByTestId("try-command-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("allow cargo test --all inside timeout, sh");
    // The engine numbered the rules it was sent; the form's number is shown.
    expect(rows[0]).toHaveTextContent("rule 2: allow cargo test … — tests are safe");
    expect(within(rows[0]).getByText("allow")).toHaveClass("chip-allow");
    expect(rows[1]).toHaveTextContent("ask rm -rf 'build dir' · no rule: asks by default");
    expect(rows[1]).not.toHaveTextContent("inside");

    const opaque = within(result).getByRole("list", { name: "Why no rule can allow it" });
    expect(within(opaque).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "command substitution (`$(...)` or backticks)",
    ]);
  });

  it("says so when the check itself fails", async () => {
    mockBackend({
      check_command: () => {
        throw new Error("backend gone");
      },
    });
    const { user } = renderAt("#/automations/new");
    await user.type(await screen.findByLabelText("Try a command"), "ls");
    expect(await screen.findByText(/Could not check the command/)).toBeInTheDocument();
  });

  it("asks again when the rules change, and says when a command is denied", async () => {
    const calls = mockBackend({
      check_command: (a) => {
        const rules = a.permissions as { action: string }[];
        const denied = rules[0]?.action === "deny";
        return {
          action: denied ? "deny" : "allow",
          commands: [
            {
              argv: ["git", "push"],
              via: [],
              action: denied ? "deny" : "allow",
              rule: { index: 0, rule: `${rules[0]?.action} git push …`, reason: null },
            },
          ],
          opaque: [],
          text_rules: [],
        } satisfies BashDecision;
      },
    });
    const { user } = renderAt("#/automations/new");
    await user.click(await screen.findByRole("button", { name: "Add rule" }));
    await user.type(screen.getByLabelText("Rule 1 command"), "git push");
    await user.selectOptions(screen.getByLabelText("Rule 1 action"), "allow");
    await user.type(screen.getByLabelText("Try a command"), "git push");
    const result = await screen.findByTestId("try-decision");
    await waitFor(() => expect(result).toHaveTextContent("Runs without asking"));

    await user.selectOptions(screen.getByLabelText("Rule 1 action"), "deny");
    await waitFor(() => expect(screen.getByTestId("try-action")).toHaveTextContent("deny"));
    expect(screen.getByTestId("try-decision")).toHaveTextContent("Denied: git push is denied by rule 1.");
    expect(callsOf(calls, "check_command").at(-1)).toEqual({
      permissions: [{ tool: "bash", command: ["git", "push"], action: "deny" }],
      command: "git push",
    });
  });
});
