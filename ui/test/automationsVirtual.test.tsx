import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Automation } from "../src/api";
import { countText } from "../src/views/Automations/AutomationsView";
import { automation, mockBackend } from "./backend";
import { renderAt } from "./render";

// jsdom lays nothing out: the list's rows measure 0 and count as their estimated height, and
// the main pane counts as the window (768 px), so about a screenful of rows is rendered.

const hourly = { kind: "interval", every_ms: 3_600_000 } as const;

/** Ten thousand automations, "Automation 1" to "Automation 10000", listed out of order. */
function tenThousand(): Automation[] {
  return Array.from({ length: 10_000 }, (_, n) => {
    const i = 9_999 - n;
    return automation({
      id: `aut_${i + 1}`,
      title: `Automation ${i + 1}`,
      trigger: hourly,
      // Every thousandth works somewhere else, and the first was paused after failing.
      workspace: i % 1000 === 0 ? "/srv/Special" : "/home/me/project",
      ...(i === 0 ? { paused: true, paused_reason: "failure_streak", failure_streak: 3 } : {}),
    });
  });
}

const rows = () => screen.getAllByTestId("automation-row");
const titles = () => rows().map((r) => within(r).getByRole("link", { name: /^Automation \d+$/ }).textContent);
const count = () => screen.getByTestId("automations-count");

describe("ten thousand automations", () => {
  it("render only the rows near the screen, in title order, each placed in the whole list", async () => {
    mockBackend({ list_automations: tenThousand });
    renderAt("#/automations");
    await screen.findAllByTestId("automation-row");

    expect(count()).toHaveTextContent("10,000 automations");
    expect(rows().length).toBeGreaterThan(5);
    expect(rows().length).toBeLessThan(40);
    expect(titles().slice(0, 3)).toEqual(["Automation 1", "Automation 2", "Automation 3"]);
    const list = screen.getByRole("list", { name: "Automations" });
    expect(rows()[0]).toHaveAttribute("aria-posinset", "1");
    expect(rows()[0]).toHaveAttribute("aria-setsize", "10000");
    // The list is as high as all its rows, so the scroll bar is the whole list's.
    expect(parseFloat(list.style.height)).toBeGreaterThan(10_000 * 50);
    // A virtual row keeps what a row shows: here the banner of a pause after failing.
    expect(within(rows()[0]).getByTestId("paused-banner")).toHaveTextContent("Paused after 3 failed runs in a row");
  });

  it("the search narrows the list, and the count says how many match", async () => {
    mockBackend({ list_automations: tenThousand });
    const { user } = renderAt("#/automations");
    await screen.findAllByTestId("automation-row");
    const search = screen.getByRole("searchbox", { name: "Search automations" });

    // 99, 990 to 999 and 9900 to 9999: still more than a screenful.
    await user.type(search, "Automation 99");
    expect(count()).toHaveTextContent("111 of 10,000 match");
    expect(titles().slice(0, 3)).toEqual(["Automation 99", "Automation 990", "Automation 991"]);
    expect(rows().length).toBeLessThan(40);
    expect(rows()[0]).toHaveAttribute("aria-setsize", "111");

    // 999 and 9990 to 9999: all of them.
    await user.type(search, "9");
    expect(count()).toHaveTextContent("11 of 10,000 match");
    expect(titles()).toEqual(["Automation 999", ...Array.from({ length: 10 }, (_, i) => `Automation ${9990 + i}`)]);

    // The work directory is searched too, whatever its case.
    await user.clear(search);
    await user.paste("  special ");
    expect(count()).toHaveTextContent("10 of 10,000 match");
    expect(titles()).toEqual(["Automation 1", ...Array.from({ length: 9 }, (_, i) => `Automation ${(i + 1) * 1000 + 1}`)]);

    await user.type(search, "x");
    expect(count()).toHaveTextContent("0 of 10,000 match");
    expect(screen.getByText("No automation matches.")).toBeInTheDocument();
    expect(screen.queryAllByTestId("automation-row")).toHaveLength(0);

    await user.clear(search);
    await user.selectOptions(screen.getByRole("combobox", { name: "Show" }), "paused");
    expect(count()).toHaveTextContent("1 of 10,000 matches");
    expect(titles()).toEqual(["Automation 1"]);
  });

  it("j moves the selection to rows not rendered yet, which render and take the focus", async () => {
    mockBackend({ list_automations: tenThousand });
    const { user } = renderAt("#/automations");
    await screen.findAllByTestId("automation-row");
    expect(screen.queryByText("Automation 60")).not.toBeInTheDocument();

    await user.keyboard("j".repeat(60));
    const selected = screen.getByText("Automation 60").closest("li");
    expect(selected).toHaveAttribute("aria-current", "true");
    expect(selected).toHaveAttribute("aria-posinset", "60");
    expect(selected).toHaveFocus();
    expect(rows().length).toBeLessThan(40);

    await user.keyboard("k");
    const previous = screen.getByText("Automation 59").closest("li");
    expect(previous).toHaveAttribute("aria-current", "true");
    expect(previous).toHaveFocus();
    const current = rows().filter((r) => r.getAttribute("aria-current") === "true");
    expect(current).toHaveLength(1);
    expect(current[0]).toBe(previous);
  });
});

describe("the count line", () => {
  it("says how many there are, or how many of them match", () => {
    expect(countText(1, 1, false)).toBe("1 automation");
    expect(countText(10_000, 10_000, false)).toBe("10,000 automations");
    expect(countText(12, 10_000, true)).toBe("12 of 10,000 match");
    expect(countText(1, 10_000, true)).toBe("1 of 10,000 matches");
  });
});
