import { emit } from "@tauri-apps/api/event";
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { StoreHealth } from "../src/api";
import { RECONNECTED_MS, StoreBanner, StoreHealthBanner } from "../src/components/StoreBanner";
import { callsOf, mockBackend } from "./backend";
import { renderAt } from "./render";

const NOW = Date.parse("2030-01-01T12:00:00Z");

function lost(over: Partial<Extract<StoreHealth, { state: "reconnecting" }>> = {}): StoreHealth {
  return {
    state: "reconnecting",
    since: "2030-01-01T11:59:50Z",
    attempt: 3,
    next_try_at: new Date(NOW + 8000).toISOString(),
    error: "database error: error communicating with database: Connection refused (os error 111)",
    ...over,
  };
}

async function changeHealth(health: StoreHealth) {
  await act(async () => {
    await emit("store-health-changed", health);
  });
}

describe("the team database banner", () => {
  it("says nothing while the database is reached", () => {
    const { container } = render(
      <StoreHealthBanner health={{ state: "connected" }} now={NOW} reconnected={false} onRetry={() => {}} />,
    );
    expect(container).toBeEmptyDOMElement();
  });

  it("counts down to the next try, tells why, and retries on demand", async () => {
    const onRetry = vi.fn();
    const user = userEvent.setup();
    render(<StoreHealthBanner health={lost()} now={NOW} reconnected={false} onRetry={onRetry} />);
    const banner = screen.getByTestId("store-banner");
    expect(banner).toHaveTextContent("Lost the team database — retrying in 8 s (attempt 3)");
    expect(banner).toHaveAttribute("title", expect.stringContaining("Connection refused"));
    await user.click(screen.getByText("Why"));
    expect(screen.getByText(/Connection refused/, { selector: ".store-banner-reason" })).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Retry now" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it("says it is retrying now once the next try's time has come", () => {
    render(
      <StoreHealthBanner
        health={lost({ next_try_at: new Date(NOW - 500).toISOString() })}
        now={NOW}
        reconnected={false}
        onRetry={() => {}}
      />,
    );
    expect(screen.getByTestId("store-banner")).toHaveTextContent("Lost the team database — retrying now (attempt 3)");
  });

  it("shows Reconnected after an outage", () => {
    render(<StoreHealthBanner health={{ state: "connected" }} now={NOW} reconnected onRetry={() => {}} />);
    expect(screen.getByTestId("store-banner")).toHaveTextContent("Reconnected to the team database");
  });

  it("in the window: lost at start, Retry now asks the engine, Reconnected then gone", async () => {
    const calls = mockBackend({ store_health: () => lost({ next_try_at: new Date(Date.now() + 8000).toISOString() }) });
    const { user } = renderAt("#/automations");
    const banner = await screen.findByTestId("store-banner");
    expect(banner).toHaveTextContent(/Lost the team database — retrying in [78] s \(attempt 3\)/);

    await user.click(screen.getByRole("button", { name: "Retry now" }));
    expect(callsOf(calls, "retry_store")).toHaveLength(1);

    await changeHealth(lost({ attempt: 4, next_try_at: new Date(Date.now() + 16000).toISOString() }));
    expect(screen.getByTestId("store-banner")).toHaveTextContent(/retrying in 1[56] s \(attempt 4\)/);

    await changeHealth({ state: "connected" });
    expect(screen.getByTestId("store-banner")).toHaveTextContent("Reconnected to the team database");
    await waitFor(() => expect(screen.queryByTestId("store-banner")).toBeNull(), {
      timeout: RECONNECTED_MS + 2000,
    });
  });

  it("shows no Reconnected when the database was never lost", async () => {
    mockBackend();
    render(<StoreBanner />);
    await changeHealth({ state: "connected" });
    expect(screen.queryByTestId("store-banner")).toBeNull();
  });
});
