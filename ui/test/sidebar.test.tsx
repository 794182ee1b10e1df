import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { SIDEBAR_KEY } from "../src/components/Sidebar";
import { mockBackend } from "./backend";
import { setMedia } from "./media";
import { renderAt } from "./render";

afterEach(() => localStorage.clear());

describe("the sidebar", () => {
  it("folds to a rail of icons by the toggle, keeps the names for assistive tech, and remembers it", async () => {
    mockBackend();
    const { user, unmount } = renderAt("#/automations");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).not.toHaveClass("rail");

    await user.click(screen.getByRole("button", { name: "Collapse the sidebar" }));
    expect(nav).toHaveClass("rail");
    expect(localStorage.getItem(SIDEBAR_KEY)).toBe("rail");
    expect(screen.getByRole("link", { name: "Overview" })).toHaveAttribute("title", "Overview");
    expect(screen.getByRole("button", { name: "Expand the sidebar" })).toHaveAttribute("aria-expanded", "false");

    unmount();
    renderAt("#/automations");
    expect(screen.getByRole("navigation", { name: "Main" })).toHaveClass("rail");
  });

  it("is a rail on a narrow window unless the user expanded it there", async () => {
    await setMedia("(max-width: 900px)", true);
    mockBackend();
    const { user } = renderAt("#/automations");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).toHaveClass("rail");

    await user.click(screen.getByRole("button", { name: "Expand the sidebar" }));
    expect(nav).not.toHaveClass("rail");
    expect(localStorage.getItem(SIDEBAR_KEY)).toBe("full");
  });

  it("follows the window's width while the user has not chosen", async () => {
    await setMedia("(max-width: 900px)", false);
    mockBackend();
    renderAt("#/automations");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).not.toHaveClass("rail");
    await setMedia("(max-width: 900px)", true);
    expect(nav).toHaveClass("rail");
  });
});
