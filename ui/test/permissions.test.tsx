import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { splitWords, wordsFromGlob } from "../src/views/Editor/words";
import { apiError, automation, callsOf, mockBackend, rules } from "./backend";
import { renderAt } from "./render";

const rule = (n: number) => screen.getByRole("listitem", { name: `Rule ${n}` });

async function fillRequired(user: ReturnType<typeof renderAt>["user"]) {
  await user.type(await screen.findByTestId("field-title"), "Rules");
  await user.type(screen.getByTestId("field-prompt"), "Do it");
  await user.type(screen.getByTestId("field-workspace"), "/srv/repo");
}

describe("command words", () => {
  it("split like a shell: quotes group, backslashes escape, nothing expands", () => {
    expect(splitWords(`git commit -m 'x y'`).words).toEqual(["git", "commit", "-m", "x y"]);
    expect(splitWords(`echo "a \\"b\\"" c\\ d '' $HOME`).words).toEqual(["echo", 'a "b"', "c d", "", "$HOME"]);
    expect(splitWords(`echo 'open`)).toEqual({ words: ["echo", "open"], unclosed: true });
  });

  it("take a legacy glob's literal words up to its first wildcard", () => {
    expect(wordsFromGlob("rm -rf /tmp/*")).toEqual(["rm", "-rf"]);
    expect(wordsFromGlob("*")).toEqual([]);
    expect(wordsFromGlob("git log*|grep x")).toEqual(["git"]);
  });
});

describe("permission rules in the editor", () => {
  it("sends a bash rule as command words, with exact, reason and examples; file rules as a glob", async () => {
    const calls = mockBackend({ create_automation: (a) => automation({ ...(a.input as object), id: "aut_9" }) });
    const { user } = renderAt("#/automations/new");
    await fillRequired(user);

    await user.click(screen.getByRole("button", { name: "Add rule" }));
    expect(screen.getByLabelText("Rule 1 tool")).toHaveValue("bash");
    await user.type(screen.getByLabelText("Rule 1 command"), "git commit -m 'x y'");
    // The words the engine will match, shown as parsed.
    const words = within(rule(1)).getByTestId("rule-words");
    expect([...words.querySelectorAll("code")].map((c) => c.textContent)).toEqual(["git", "commit", "-m", "x y"]);
    expect(words).toHaveTextContent("Matches commands starting with");
    await user.click(screen.getByLabelText("Rule 1 Exact: only these words, nothing after them"));
    expect(words).toHaveTextContent("Matches exactly");
    await user.selectOptions(screen.getByLabelText("Rule 1 action"), "allow");
    await user.type(screen.getByLabelText("Rule 1 reason"), "commits are fine");
    const examples = screen.getByRole("button", { name: "Rule 1 Examples" });
    expect(examples).toHaveAttribute("aria-expanded", "false");
    await user.click(examples);
    await user.click(screen.getByLabelText("Rule 1 Must match"));
    await user.paste("git commit -m 'x y'");
    await user.click(screen.getByLabelText("Rule 1 Must not match"));
    // Blank lines and spaces around a command do not count.
    await user.paste("git commit -m x\n\n  git commit --amend ");

    await user.click(screen.getByRole("button", { name: "Add rule" }));
    await user.selectOptions(screen.getByLabelText("Rule 2 tool"), "write");
    // A file rule has no command words, exact or examples.
    expect(within(rule(2)).queryByLabelText("Rule 2 command")).toBeNull();
    expect(within(rule(2)).queryByRole("button", { name: /Examples/ })).toBeNull();
    await user.type(screen.getByLabelText("Rule 2 pattern"), "secrets/*");
    await user.selectOptions(screen.getByLabelText("Rule 2 action"), "deny");

    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "create_automation")).toHaveLength(1));
    const sent = (callsOf(calls, "create_automation")[0].input as { permissions: unknown[] }).permissions;
    expect(sent).toEqual([
      {
        tool: "bash",
        command: ["git", "commit", "-m", "x y"],
        exact: true,
        action: "allow",
        reason: "commits are fine",
        examples: { matching: ["git commit -m 'x y'"], not_matching: ["git commit -m x", "git commit --amend"] },
      },
      { tool: "write", pattern: "secrets/*", action: "deny" },
    ]);
  }, 20_000);

  const stored = () =>
    automation({
      revision: 2,
      permissions: rules(
        { tool: "bash", pattern: "rm -rf /tmp/*", action: "deny" },
        { tool: "bash", command: ["cargo", "test"], action: "allow", reason: "tests are safe" },
      ),
    });

  it("shows a legacy glob rule as needing an edit and sends it back unchanged when untouched", async () => {
    const calls = mockBackend({ get_automation: stored, update_automation: () => stored() });
    const { user } = renderAt("#/automations/aut_1/edit");
    const legacy = await within(await screen.findByRole("listitem", { name: "Rule 1" })).findByTestId("legacy-rule");
    expect(legacy).toHaveTextContent("Needs edit");
    expect(legacy).toHaveTextContent("rm -rf /tmp/*");
    expect(legacy).toHaveTextContent("It matches nothing until you turn it into a command");
    expect(screen.queryByLabelText("Rule 1 command")).toBeNull();
    expect(screen.getByLabelText("Rule 2 command")).toHaveValue("cargo test");
    expect(screen.getByLabelText("Rule 2 reason")).toHaveValue("tests are safe");

    await user.selectOptions(screen.getByLabelText("Rule 2 action"), "ask");
    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "update_automation")).toHaveLength(1));
    expect(callsOf(calls, "update_automation")[0].patch).toEqual({
      permissions: [
        { tool: "bash", pattern: "rm -rf /tmp/*", action: "deny" },
        { tool: "bash", command: ["cargo", "test"], action: "ask", reason: "tests are safe" },
      ],
    });
  });

  it("converts a legacy rule into command words from its glob, saved on confirm", async () => {
    const calls = mockBackend({ get_automation: stored, update_automation: () => stored() });
    const { user } = renderAt("#/automations/aut_1/edit");
    await user.click(await screen.findByRole("button", { name: "Convert rule 1 to a command" }));
    const command = screen.getByLabelText("Rule 1 command");
    expect(command).toHaveValue("rm -rf");
    expect(command).toHaveFocus();
    expect(screen.queryByTestId("legacy-rule")).toBeNull();
    await user.type(command, " /tmp/cache");

    await user.click(screen.getByTestId("save-automation"));
    await waitFor(() => expect(callsOf(calls, "update_automation")).toHaveLength(1));
    expect(callsOf(calls, "update_automation")[0].patch).toEqual({
      permissions: [
        { tool: "bash", command: ["rm", "-rf", "/tmp/cache"], action: "deny" },
        { tool: "bash", command: ["cargo", "test"], action: "allow", reason: "tests are safe" },
      ],
    });
  });

  it("shows the engine's details under the rule fields and examples they name", async () => {
    mockBackend({
      get_automation: () =>
        automation({
          permissions: rules(
            { tool: "bash", command: ["cargo"], action: "allow" },
            {
              tool: "bash",
              command: ["cargo", "test"],
              action: "allow",
              examples: { matching: ["cargo testx"], not_matching: ["cargo test --all"] },
            },
          ),
        }),
      update_automation: () => {
        throw apiError({
          kind: "validation",
          error: "invalid_automation",
          message: "the automation is invalid",
          details: [
            { field: "permissions[0].command[1]", message: "word_length_1_1000" },
            { field: "permissions[0].reason", message: "reason_too_long_500" },
            {
              field: "permissions[1].examples.matching[0]",
              message: "example_not_matched",
              hint: "the rule does not match `cargo testx`",
            },
            {
              field: "permissions[1].examples.not_matching[0]",
              message: "example_matched",
              hint: "the rule matches `cargo test --all`",
            },
          ],
        });
      },
    });
    const { user } = renderAt("#/automations/aut_1/edit");
    await user.clear(await screen.findByLabelText("Rule 1 command"));
    await user.type(screen.getByLabelText("Rule 1 command"), "cargo ''");
    await user.click(screen.getByTestId("save-automation"));

    const first = await screen.findByRole("listitem", { name: "Rule 1" });
    expect(await within(first).findByText("Each word: 1 to 1,000 characters.")).toBeInTheDocument();
    expect(within(first).getByText("The reason is too long: 500 characters at most.")).toBeInTheDocument();
    // Each example problem shows under its own list.
    const matching = screen.getByLabelText("Rule 2 Must match").closest(".field") as HTMLElement;
    expect(matching).toHaveTextContent("Must match, but does not. The rule does not match `cargo testx`.");
    const notMatching = screen.getByLabelText("Rule 2 Must not match").closest(".field") as HTMLElement;
    expect(notMatching).toHaveTextContent("Must not match, but does. The rule matches `cargo test --all`.");
    expect(screen.queryByTestId("validation-summary")).not.toBeInTheDocument();
  });
});
