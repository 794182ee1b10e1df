import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { QueueLimits, QueuePlace } from "../src/api";
import { apiError, callsOf, emitEngine, mockBackend, run, type Handler } from "./backend";
import { status } from "./providerFixtures";
import { renderAt } from "./render";

describe("settings: runs at once", () => {
  beforeEach(() => sessionStorage.clear());

  /** Stores what it is sent, and refuses a limit outside 1..=64 as the engine does. */
  function queueBackend(start: QueueLimits, handlers: Record<string, Handler> = {}) {
    let stored = start;
    return mockBackend({
      list_providers: () => [status("openai", { ready: true, key: "env", problem: null }), status("anthropic")],
      queue_limits: () => stored,
      set_queue_limits: (a) => {
        const limits = a.limits as QueueLimits;
        const refused = [
          ...(outOfRange(limits.max_concurrent_runs) ? ["max_concurrent_runs"] : []),
          ...Object.entries(limits.per_provider)
            .filter(([, n]) => outOfRange(n ?? 1))
            .map(([id]) => `per_provider.${id}`),
        ];
        if (refused.length > 0) {
          throw apiError({
            kind: "validation",
            error: "invalid_input",
            message: "invalid input: limit out of range",
            details: refused.map((field) => ({ field, message: "limit_out_of_range_1_64", hint: null })),
          });
        }
        stored = limits;
        return stored;
      },
      ...handlers,
    });
  }
  const outOfRange = (n: number) => n < 1 || n > 64;

  const section = () => screen.getByTestId("queue-limits");
  const fieldOf = (input: HTMLElement) => input.closest(".field") as HTMLElement;

  it("shows the stored limits, a provider without one empty", async () => {
    queueBackend({ max_concurrent_runs: 6, per_provider: { openai: 2 } });
    renderAt("#/settings");
    const global = await screen.findByLabelText("All providers together");
    await waitFor(() => expect(global).toHaveValue(6));
    expect(section()).toHaveTextContent("Runs beyond it wait in line: a Run now first");
    expect(section()).toHaveTextContent("this app and autowork daemon together");
    await waitFor(() => expect(within(section()).getByLabelText("OpenAI")).toHaveValue(2));
    const anthropic = within(section()).getByLabelText("Anthropic");
    expect(anthropic).toHaveValue(null);
    expect(anthropic).toHaveAttribute("placeholder", "no limit of its own");
  });

  it("saves a changed global limit and a provider's own, and clears one again", async () => {
    const calls = queueBackend({ max_concurrent_runs: 4, per_provider: { openai: 2 } });
    const { user } = renderAt("#/settings");
    const global = await screen.findByLabelText("All providers together");
    await waitFor(() => expect(global).toBeEnabled());

    await user.clear(global);
    await user.type(global, "8");
    await user.tab();
    await waitFor(() =>
      expect(callsOf(calls, "set_queue_limits")).toEqual([
        { limits: { max_concurrent_runs: 8, per_provider: { openai: 2 } } },
      ]),
    );

    const anthropic = await within(section()).findByLabelText("Anthropic");
    await user.type(anthropic, "3");
    await user.tab();
    await waitFor(() => expect(callsOf(calls, "set_queue_limits")).toHaveLength(2));
    expect(callsOf(calls, "set_queue_limits")[1]).toEqual({
      limits: { max_concurrent_runs: 8, per_provider: { openai: 2, anthropic: 3 } },
    });

    await user.clear(within(section()).getByLabelText("OpenAI"));
    await user.tab();
    await waitFor(() => expect(callsOf(calls, "set_queue_limits")).toHaveLength(3));
    expect(callsOf(calls, "set_queue_limits")[2]).toEqual({
      limits: { max_concurrent_runs: 8, per_provider: { anthropic: 3 } },
    });

    // Leaving a field unchanged saves nothing.
    await user.click(global);
    await user.tab();
    expect(callsOf(calls, "set_queue_limits")).toHaveLength(3);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows a refused value's error next to its field and keeps what was typed", async () => {
    const calls = queueBackend({ max_concurrent_runs: 4, per_provider: {} });
    const { user } = renderAt("#/settings");
    const global = await screen.findByLabelText("All providers together");
    await waitFor(() => expect(global).toBeEnabled());

    await user.clear(global);
    await user.type(global, "99");
    await user.tab();
    const error = await within(fieldOf(global)).findByRole("alert");
    expect(error).toHaveTextContent("Use a whole number from 1 to 64.");
    expect(global).toHaveValue(99);
    expect(global).toHaveAttribute("aria-invalid", "true");
    expect(callsOf(calls, "set_queue_limits")).toHaveLength(1);

    const openai = within(section()).getByLabelText("OpenAI");
    await user.type(openai, "0");
    await user.tab();
    const providerError = await within(fieldOf(openai)).findByRole("alert");
    expect(providerError).toHaveTextContent("Use a whole number from 1 to 64.");
    expect(openai).toHaveValue(0);
    // The provider's save sent the stored global limit, not the refused one still typed.
    expect(callsOf(calls, "set_queue_limits")[1]).toEqual({
      limits: { max_concurrent_runs: 4, per_provider: { openai: 0 } },
    });
    expect(global).toHaveValue(99);

    // Corrected: saved, and the error goes.
    await user.clear(global);
    await user.type(global, "12");
    await user.tab();
    await waitFor(() => expect(within(fieldOf(global)).queryByRole("alert")).not.toBeInTheDocument());
    expect(callsOf(calls, "set_queue_limits")[2]).toEqual({ limits: { max_concurrent_runs: 12, per_provider: {} } });
    expect(within(fieldOf(openai)).getByRole("alert")).toBeInTheDocument();
  });
});

describe("a queued run's place in line", () => {
  const queued = run({ state: "queued", started_at: null, steps: 0, cost_usd: 0, tokens_in: 0, tokens_out: 0 });
  const place = (over: Partial<QueuePlace> = {}): QueuePlace => ({
    ahead: 3,
    running: 4,
    max_concurrent_runs: 4,
    provider: null,
    work_area_busy: false,
    waiting_for_worker: null,
    ...over,
  });

  function queuedRun(answer: () => QueuePlace | null) {
    return mockBackend({ get_run: () => ({ run: queued, transcript: [] }), queue_place: answer });
  }

  it("says how many runs are ahead while every slot is taken, with a way to the limit", async () => {
    const calls = queuedRun(() => place());
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("queue-wait");
    expect(line).toHaveTextContent("Waiting for a free slot — 3 ahead, 4 of 4 running.");
    expect(within(line).getByRole("link", { name: "Change the limit" })).toHaveAttribute("href", "#/settings");
    expect(callsOf(calls, "queue_place")[0]).toEqual({ runId: "run_1" });
  });

  it("names the provider when its own limit is the full one", async () => {
    queuedRun(() => place({ ahead: 0, running: 2, provider: { provider_id: "openai", running: 2, limit: 2 } }));
    renderAt("#/runs/run_1");
    expect(await screen.findByTestId("queue-wait")).toHaveTextContent(
      "Waiting for a free openai slot — next, 2 of 2 running.",
    );
  });

  it("says when it waits for the run writing in its work area instead", async () => {
    queuedRun(() => place({ ahead: 0, running: 1, work_area_busy: true }));
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("queue-wait");
    expect(line).toHaveTextContent("Waiting for the run that writes in this work area to end.");
    // A bigger limit would not start it sooner.
    expect(within(line).queryByRole("link")).not.toBeInTheDocument();
  });

  it("says when no connected worker serves its folder, and what to start", async () => {
    queuedRun(() => place({ ahead: 0, running: 0, waiting_for_worker: "/srv/repos/api" }));
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("queue-wait");
    expect(line).toHaveTextContent("Waiting for a worker that serves /srv/repos/api — none is connected.");
    expect(line).toHaveTextContent("autowork daemon --serve");
    // A bigger limit would not start it sooner.
    expect(within(line).queryByRole("link")).not.toBeInTheDocument();
  });

  it("says which worker a run runs on", async () => {
    mockBackend({ get_run: () => ({ run: run({ worker: "build-server (daemon)" }), transcript: [] }) });
    renderAt("#/runs/run_1");
    expect(await screen.findByTestId("run-worker")).toHaveTextContent("build-server (daemon)");
  });

  it("names no worker for a run no worker took yet", async () => {
    mockBackend({ get_run: () => ({ run: queued, transcript: [] }), queue_place: () => place() });
    renderAt("#/runs/run_1");
    await screen.findByTestId("run-state");
    expect(screen.queryByTestId("run-worker")).not.toBeInTheDocument();
  });

  it("follows the line every two seconds and goes once the run starts", async () => {
    let ahead = 2;
    const calls = queuedRun(() => place({ ahead: ahead-- }));
    renderAt("#/runs/run_1");
    const line = await screen.findByTestId("queue-wait");
    expect(line).toHaveTextContent("2 ahead");
    await waitFor(() => expect(line).toHaveTextContent("1 ahead"), { timeout: 3500 });

    await emitEngine({ kind: "run.updated", payload: { ...queued, state: "running", revision: 2, started_at: "2030-01-01T00:00:05Z" } });
    await waitFor(() => expect(screen.queryByTestId("queue-wait")).not.toBeInTheDocument());
    const asked = callsOf(calls, "queue_place").length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(callsOf(calls, "queue_place")).toHaveLength(asked);
  });

  it("other runs ask for no place", async () => {
    const calls = mockBackend({ get_run: () => ({ run: run(), transcript: [] }), queue_place: () => place() });
    renderAt("#/runs/run_1");
    await screen.findByTestId("run-state");
    expect(callsOf(calls, "queue_place")).toEqual([]);
    expect(screen.queryByTestId("queue-wait")).not.toBeInTheDocument();
  });
});
