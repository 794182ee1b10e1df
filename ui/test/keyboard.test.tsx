import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { Blocker } from "../src/bindings";
import { SHORTCUTS } from "../src/keyboard/shortcuts";
import { rankMatches } from "../src/keyboard/match";
import { useListKeys } from "../src/keyboard/useListKeys";
import { automation, callsOf, mockBackend, run } from "./backend";
import { renderAt } from "./render";

const three = () => [
  automation({ id: "aut_a", title: "Alpha" }),
  automation({ id: "aut_b", title: "Bravo" }),
  automation({ id: "aut_c", title: "Charlie" }),
];

const paletteInput = () => screen.getByRole("combobox", { name: "Search commands and automations" });
const options = () => within(screen.getByRole("listbox", { name: "Commands" })).getAllByRole("option");
const activeOption = () => {
  const id = paletteInput().getAttribute("aria-activedescendant");
  return id ? document.getElementById(id) : null;
};

describe("command palette", () => {
  it("Ctrl+K opens it; typing filters, arrows move, Enter goes there and closes it", async () => {
    mockBackend({ list_automations: three });
    const { user } = renderAt("#/automations");
    await screen.findAllByTestId("automation-row");
    await user.keyboard("{Control>}k{/Control}");

    const dialog = screen.getByRole("dialog", { name: "Command palette" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    const input = within(dialog).getByRole("combobox", { name: "Search commands and automations" });
    expect(input).toHaveFocus();
    expect(options().map((o) => o.textContent)).toContain("Go to Settings");
    expect(options().map((o) => o.textContent)).toContain("Run Bravo now");

    await user.type(input, "go to");
    expect(activeOption()).toHaveTextContent("Go to Overview");
    expect(activeOption()).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(activeOption()).toHaveTextContent("Go to Runs");
    await user.keyboard("{ArrowUp}");
    expect(activeOption()).toHaveTextContent("Go to Automations");
    await user.clear(input);
    await user.type(input, "settngs"); // a typo still finds it
    expect(options()).toHaveLength(1);
    await user.keyboard("{Enter}");
    expect(window.location.hash).toBe("#/settings");
    expect(screen.queryByRole("dialog", { name: "Command palette" })).not.toBeInTheDocument();
  });

  it("runs an automation now from its title", async () => {
    const calls = mockBackend({
      list_automations: three,
      run_now: () => run({ id: "run_9", automation_id: "aut_b", state: "queued" }),
      get_run: () => ({ run: run({ id: "run_9", automation_id: "aut_b", state: "queued" }), transcript: [] }),
    });
    const { user } = renderAt("#/inbox");
    await waitFor(() => expect(callsOf(calls, "list_automations").length).toBeGreaterThan(0));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(paletteInput(), "run bravo");
    expect(activeOption()).toHaveTextContent("Run Bravo now");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(callsOf(calls, "run_now")).toEqual([{ id: "aut_b" }]));
    await waitFor(() => expect(window.location.hash).toBe("#/runs/run_9"));
  });

  it("Escape closes it and gives focus back to where it was", async () => {
    mockBackend({ list_automations: three });
    const { user } = renderAt("#/automations");
    const newButton = await screen.findByTestId("new-automation");
    newButton.focus();
    await user.keyboard("{Control>}k{/Control}");
    expect(paletteInput()).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(newButton).toHaveFocus();
    expect(window.location.hash).toBe("#/automations");
  });

  it("says so when nothing matches", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(paletteInput(), "zzzz");
    expect(within(screen.getByRole("listbox", { name: "Commands" })).queryAllByRole("option")).toHaveLength(0);
    expect(screen.getByText(/Nothing matches/)).toBeInTheDocument();
    expect(paletteInput()).not.toHaveAttribute("aria-activedescendant");
  });

  it("ranks prefixes, then word starts, then anywhere, then letters in order", () => {
    const items = ["Open Offset", "Edit S e t", "Go to Settings", "Run Set now", "Setup", "Other"];
    expect(rankMatches(items, "set", (s) => s)).toEqual([
      "Setup",
      "Go to Settings",
      "Run Set now",
      "Open Offset",
      "Edit S e t",
    ]);
    expect(rankMatches(items, "", (s) => s)).toEqual(items);
  });
});

describe("shortcut sheet", () => {
  it("? shows every shortcut the app has, from the one list the handlers use", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    await screen.findByTestId("new-automation");
    await user.keyboard("?");
    const sheet = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    for (const s of Object.values(SHORTCUTS)) expect(sheet).toHaveTextContent(s.does);
    expect(within(sheet).getByRole("region", { name: "Lists" })).toHaveTextContent("Jor↓Select the next row");
    await user.click(within(sheet).getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("? typed in a text field is just a question mark", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    const search = await screen.findByRole("searchbox", { name: "Search automations" });
    await user.type(search, "why?");
    expect(search).toHaveValue("why?");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("opens from the palette", async () => {
    mockBackend();
    const { user } = renderAt("#/automations");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(paletteInput(), "shortcuts");
    await user.keyboard("{Enter}");
    expect(screen.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog", { name: "Command palette" })).not.toBeInTheDocument();
  });
});

describe("list keys", () => {
  it("j/k and arrows move a visible selection through the automations; Enter opens it", async () => {
    // jsdom does not scroll: record the calls instead.
    const scrolled = vi.fn();
    Element.prototype.scrollIntoView = scrolled;
    onTestFinished(() => {
      delete (Element.prototype as Partial<Element>).scrollIntoView;
    });
    mockBackend({ list_automations: three });
    const { user } = renderAt("#/automations");
    const rows = await screen.findAllByTestId("automation-row");
    expect(rows.some((r) => r.hasAttribute("data-selected"))).toBe(false);

    await user.keyboard("j");
    expect(rows[0]).toHaveAttribute("data-selected", "true");
    expect(rows[0]).toHaveFocus();
    await user.keyboard("j{ArrowDown}");
    expect(rows[2]).toHaveAttribute("data-selected", "true");
    expect(rows[2]).toHaveAttribute("aria-current", "true");
    expect(rows[0]).not.toHaveAttribute("data-selected");
    expect(scrolled).toHaveBeenLastCalledWith({ block: "nearest" });
    await user.keyboard("j"); // already the last row
    expect(rows[2]).toHaveAttribute("data-selected", "true");
    await user.keyboard("k");
    expect(rows[1]).toHaveAttribute("data-selected", "true");
    await user.keyboard("{Enter}");
    expect(window.location.hash).toBe("#/automations/aut_b/runs");
  });

  it("leaves keys alone while typing and when a modifier is held", async () => {
    mockBackend({ list_automations: three });
    const { user } = renderAt("#/automations");
    const rows = await screen.findAllByTestId("automation-row");
    const search = screen.getByRole("searchbox", { name: "Search automations" });
    await user.type(search, "j");
    await user.keyboard("{ArrowDown}");
    expect(search).toHaveValue("j");
    expect(rows.some((r) => r.hasAttribute("data-selected"))).toBe(false);
    search.blur();
    await user.keyboard("{Alt>}j{/Alt}{Control>}{ArrowDown}{/Control}");
    expect(rows.some((r) => r.hasAttribute("data-selected"))).toBe(false);
  });

  it("Ctrl+Enter runs the automation selected with the keys", async () => {
    const calls = mockBackend({
      list_automations: three,
      run_now: () => run({ id: "run_6", automation_id: "aut_c", state: "queued" }),
      get_run: () => ({ run: run({ id: "run_6", state: "queued" }), transcript: [] }),
    });
    const { user } = renderAt("#/automations");
    await screen.findAllByTestId("automation-row");
    await user.keyboard("jjj{Control>}{Enter}{/Control}");
    await waitFor(() => expect(callsOf(calls, "run_now")).toEqual([{ id: "aut_c" }]));
  });

  it("the hook alone: Enter on a row's own button is the button's; rows that go away leave no selection", async () => {
    const opened: number[] = [];
    const pressed: string[] = [];
    function List({ items }: { items: string[] }) {
      const list = useListKeys(items.length, (i) => opened.push(i));
      return (
        <ul>
          {items.map((item, i) => (
            <li key={item} {...list.row(i)} className="row" data-testid="row">
              {item} <button onClick={() => pressed.push(item)}>Press {item}</button>
            </li>
          ))}
        </ul>
      );
    }
    const user = userEvent.setup();
    const { rerender } = render(<List items={["one", "two"]} />);
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    expect(opened).toEqual([1]);
    screen.getByRole("button", { name: "Press one" }).focus();
    await user.keyboard("{Enter}");
    expect(pressed).toEqual(["one"]);
    expect(opened).toEqual([1]);
    rerender(<List items={["one"]} />);
    expect(screen.getByTestId("row")).not.toHaveAttribute("data-selected");
    await user.keyboard("k");
    expect(screen.getByTestId("row")).toHaveAttribute("data-selected", "true");
  });
});

describe("blocker keys", () => {
  const permission: Blocker = { kind: "permission", request_id: "req_7", tool: "bash", summary: "cargo test", always: [] };

  function blockedRun() {
    const waiting = run({ state: "awaiting_input", blocker: permission, revision: 4 });
    return mockBackend({
      get_run: () => ({ run: waiting, transcript: [] }),
      reply_permission: () => ({ ...waiting, state: "running", blocker: null, revision: 5 }),
    });
  }

  it("a allows once, and the buttons say which key does what", async () => {
    const calls = blockedRun();
    const { user } = renderAt("#/runs/run_1");
    const panel = await screen.findByTestId("blocker-panel");
    expect(within(panel).getByRole("button", { name: "Allow once" })).toHaveAttribute("aria-keyshortcuts", "A");
    expect(within(panel).getByRole("button", { name: "Reject" })).toHaveAttribute("data-key-hint", "R");
    await user.keyboard("a");
    await waitFor(() => expect(callsOf(calls, "reply_permission")).toHaveLength(1));
    expect(callsOf(calls, "reply_permission")[0]).toMatchObject({ requestId: "req_7", decision: "once", message: null });
  });

  it("r rejects with the message, but not while the message is being typed", async () => {
    const calls = blockedRun();
    const { user } = renderAt("#/runs/run_1");
    const message = await screen.findByLabelText(/Message for the agent/);
    await user.type(message, "Try a smaller fix");
    expect(message).toHaveValue("Try a smaller fix");
    expect(callsOf(calls, "reply_permission")).toEqual([]);
    message.blur();
    await user.keyboard("r");
    await waitFor(() => expect(callsOf(calls, "reply_permission")).toHaveLength(1));
    expect(callsOf(calls, "reply_permission")[0]).toMatchObject({
      requestId: "req_7",
      decision: "reject",
      message: "Try a smaller fix",
    });
  });
});
