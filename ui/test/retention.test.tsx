import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { RetentionPolicy, ValidationDetail } from "../src/api";
import { formatBytes } from "../src/format";
import { apiError, callsOf, gcReport, mockBackend, type Handler } from "./backend";
import { renderAt } from "./render";

describe("settings: history", () => {
  beforeEach(() => sessionStorage.clear());

  /** Stores what it is sent, and refuses what the engine refuses, each problem with its field. */
  function retentionBackend(start: RetentionPolicy, handlers: Record<string, Handler> = {}) {
    let stored = start;
    return mockBackend({
      list_providers: () => [],
      get_retention: () => stored,
      set_retention: (a) => {
        const policy = a.policy as RetentionPolicy;
        const details: ValidationDetail[] = [];
        for (const field of ["keep_days", "keep_failed_days"] as const) {
          const days = policy[field];
          if (days !== null && (days < 1 || days > 36500)) {
            details.push({ field, message: "days_out_of_range_1_36500", hint: null });
          }
        }
        if (policy.keep_days !== null && policy.keep_failed_days !== null && policy.keep_failed_days < policy.keep_days) {
          details.push({
            field: "keep_failed_days",
            message: "below_keep_days",
            hint: `failed runs are kept at least as long as the others: ${policy.keep_failed_days} is less than keep_days ${policy.keep_days}`,
          });
        }
        if (details.length > 0) {
          throw apiError({ kind: "validation", error: "invalid_input", message: "invalid input", details });
        }
        stored = policy;
        return stored;
      },
      ...handlers,
    });
  }

  const section = () => screen.getByTestId("retention");
  const fieldOf = (control: HTMLElement) => control.closest(".field") as HTMLElement;
  const keep = () => within(section()).getByLabelText("Keep finished runs");
  const keepFailed = () => within(section()).getByLabelText("Keep failed runs");
  const keepDays = () => within(section()).getByLabelText("Days to keep finished runs");
  const failedDays = () => within(section()).getByLabelText("Days to keep failed runs");

  async function open(start: RetentionPolicy, handlers: Record<string, Handler> = {}) {
    const calls = retentionBackend(start, handlers);
    const rendered = renderAt("#/settings");
    await screen.findByTestId("retention");
    await waitFor(() => expect(section()).toBeEnabled());
    return { calls, ...rendered };
  }

  it("shows the stored policy and says what is never removed", async () => {
    await open({ keep_days: 30, keep_failed_days: null });
    expect(section()).toHaveTextContent("History");
    expect(section()).toHaveTextContent(
      "Never removed: runs waiting for you, runs you have not read yet, worktree changes waiting for review, and each automation's newest run.",
    );
    expect(section()).toHaveTextContent("autowork daemon when it runs the schedules, cleans up hourly");
    expect(keep()).toHaveValue("days");
    expect(keepDays()).toHaveValue(30);
    expect(keepFailed()).toHaveValue("forever");
    expect(within(section()).queryByLabelText("Days to keep failed runs")).not.toBeInTheDocument();
    // After the queue limits, as the brief orders the sections.
    const legends = [...document.querySelectorAll("legend")].map((l) => l.textContent);
    expect(legends.indexOf("History")).toBe(legends.indexOf("Runs at once") + 1);
  });

  it("keeps everything by default, and a clean-up then finds nothing", async () => {
    const { calls, user } = await open({ keep_days: null, keep_failed_days: null });
    expect(keep()).toHaveValue("forever");
    expect(keepFailed()).toHaveValue("forever");
    await user.click(within(section()).getByRole("button", { name: "Preview clean-up" }));
    expect(await screen.findByTestId("gc-preview")).toHaveTextContent("Nothing to remove: runs are kept forever.");
    expect(within(section()).queryByRole("button", { name: "Remove now" })).not.toBeInTheDocument();
    expect(callsOf(calls, "gc_now")).toEqual([]);
  });

  it("sets 30 days for finished runs and 90 for failed ones, and forever again", async () => {
    const { calls, user } = await open({ keep_days: null, keep_failed_days: null });

    await user.selectOptions(keep(), "For a number of days");
    await waitFor(() =>
      expect(callsOf(calls, "set_retention")).toEqual([{ policy: { keep_days: 30, keep_failed_days: null } }]),
    );
    expect(keepDays()).toHaveValue(30);

    await user.selectOptions(keepFailed(), "For a number of days");
    await waitFor(() => expect(callsOf(calls, "set_retention")).toHaveLength(2));
    expect(callsOf(calls, "set_retention")[1]).toEqual({ policy: { keep_days: 30, keep_failed_days: 90 } });
    expect(failedDays()).toHaveValue(90);

    // Typed over with the same number: nothing to save.
    await user.clear(failedDays());
    await user.type(failedDays(), "90");
    await user.tab();
    expect(callsOf(calls, "set_retention")).toHaveLength(2);

    await user.clear(keepDays());
    await user.type(keepDays(), "14");
    await user.tab();
    await waitFor(() => expect(callsOf(calls, "set_retention")).toHaveLength(3));
    expect(callsOf(calls, "set_retention")[2]).toEqual({ policy: { keep_days: 14, keep_failed_days: 90 } });

    await user.selectOptions(keep(), "Forever");
    await waitFor(() => expect(callsOf(calls, "set_retention")).toHaveLength(4));
    expect(callsOf(calls, "set_retention")[3]).toEqual({ policy: { keep_days: null, keep_failed_days: 90 } });
    expect(within(section()).queryByLabelText("Days to keep finished runs")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows a refused value's error next to its field and keeps what was typed", async () => {
    const { calls, user } = await open({ keep_days: 30, keep_failed_days: 90 });

    await user.clear(keepDays());
    await user.type(keepDays(), "40000");
    await user.tab();
    const error = await within(fieldOf(keep())).findByRole("alert");
    expect(error).toHaveTextContent("Use a whole number of days from 1 to 36,500.");
    expect(keepDays()).toHaveValue(40000);
    expect(keepDays()).toHaveAttribute("aria-invalid", "true");
    expect(keepDays()).toHaveAttribute("aria-describedby", "retention-keep-error");
    expect(within(fieldOf(keepFailed())).queryByRole("alert")).not.toBeInTheDocument();

    // Failed runs kept shorter than the others: refused next to the failed field.
    await user.clear(failedDays());
    await user.type(failedDays(), "7");
    await user.tab();
    const failedError = await within(fieldOf(keepFailed())).findByRole("alert");
    expect(failedError).toHaveTextContent("Keep failed runs at least as long as finished ones.");
    expect(failedError).toHaveTextContent("7 is less than keep_days 30");
    expect(failedDays()).toHaveValue(7);
    // The failed field's save sent the stored 30 days, not the refused 40000 still typed.
    expect(callsOf(calls, "set_retention")[1]).toEqual({ policy: { keep_days: 30, keep_failed_days: 7 } });
    expect(keepDays()).toHaveValue(40000);

    // Not a number of days at all: said before anything is sent.
    await user.clear(keepDays());
    await user.tab();
    expect(await within(fieldOf(keep())).findByRole("alert")).toHaveTextContent("Required.");
    expect(callsOf(calls, "set_retention")).toHaveLength(2);

    // Corrected to a pair that fits: both saved at once, both errors go.
    await user.type(keepDays(), "5");
    await user.tab();
    await waitFor(() => expect(screen.queryByRole("alert")).not.toBeInTheDocument());
    expect(callsOf(calls, "set_retention")[2]).toEqual({ policy: { keep_days: 5, keep_failed_days: 7 } });
    expect(keepDays()).toHaveValue(5);
    expect(failedDays()).toHaveValue(7);
  });

  const preview = gcReport(
    {
      as_of: "2030-01-31T12:00:00Z",
      policy: { keep_days: 30, keep_failed_days: 90 },
      cutoff: "2030-01-01T12:00:00Z",
      failed_cutoff: "2029-11-02T12:00:00Z",
      database: { bytes_before: 50 * 1024 * 1024, bytes_after: null, compaction: "none" },
    },
    { runs: 312, succeeded: 290, failed: 12, stopped: 10, messages: 4000, parts: 9000, sessions: 20, changes: 4 },
  );
  const words = "312 runs (290 succeeded, 12 failed, 10 stopped), their transcripts and 4 recorded changes";

  it("previews a clean-up in words", async () => {
    const { calls, user } = await open({ keep_days: 30, keep_failed_days: 90 }, { gc_preview: () => preview });
    await user.click(within(section()).getByRole("button", { name: "Preview clean-up" }));
    const said = await screen.findByTestId("gc-preview");
    expect(said).toHaveTextContent(`Would remove ${words}.`);
    expect(said).toHaveTextContent("Succeeded and stopped runs that ended before");
    expect(within(section()).getByRole("button", { name: "Remove now" })).toHaveClass("danger");
    expect(callsOf(calls, "gc_preview")).toEqual([{}]);
    expect(callsOf(calls, "gc_now")).toEqual([]);

    // A changed policy makes the preview stale: it goes.
    await user.selectOptions(keepFailed(), "Forever");
    await waitFor(() => expect(screen.queryByTestId("gc-preview")).not.toBeInTheDocument());
    expect(within(section()).queryByRole("button", { name: "Remove now" })).not.toBeInTheDocument();
  });

  it("says runs of one state and a single run plainly", async () => {
    const one = gcReport({ policy: { keep_days: 7, keep_failed_days: null } }, { runs: 1, succeeded: 1, messages: 3, originals_dirs: 1 });
    const { user } = await open({ keep_days: 7, keep_failed_days: null }, { gc_preview: () => one });
    await user.click(within(section()).getByRole("button", { name: "Preview clean-up" }));
    expect(await screen.findByTestId("gc-preview")).toHaveTextContent(
      "Would remove 1 succeeded run, its transcript and 1 folder of saved originals.",
    );
  });

  it("Remove now asks first, removes what the preview listed and says what went", async () => {
    const { calls, user } = await open(
      { keep_days: 30, keep_failed_days: 90 },
      {
        gc_preview: () => preview,
        gc_now: (a) =>
          gcReport(
            {
              dry_run: false,
              as_of: a.asOf as string,
              database: { bytes_before: 50 * 1024 * 1024, bytes_after: 38 * 1024 * 1024, compaction: "incremental_vacuum" },
            },
            preview.removed,
          ),
      },
    );
    await user.click(within(section()).getByRole("button", { name: "Preview clean-up" }));
    await user.click(await within(section()).findByRole("button", { name: "Remove now" }));

    // Keeping them removes nothing.
    let dialog = await screen.findByRole("dialog", { name: "Remove these runs?" });
    expect(dialog).toHaveTextContent(`${words} go for good`);
    await user.click(within(dialog).getByRole("button", { name: "Keep them" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(callsOf(calls, "gc_now")).toEqual([]);

    await user.click(within(section()).getByRole("button", { name: "Remove now" }));
    dialog = await screen.findByRole("dialog", { name: "Remove these runs?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove 312 runs" }));
    await waitFor(() => expect(callsOf(calls, "gc_now")).toEqual([{ asOf: "2030-01-31T12:00:00Z" }]));

    const went = await screen.findByTestId("gc-removed");
    expect(went).toHaveTextContent(`Removed ${words}.`);
    expect(went).toHaveTextContent("12.0 MB freed; the database is now 38.0 MB.");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.queryByTestId("gc-preview")).not.toBeInTheDocument();
    expect(within(section()).queryByRole("button", { name: "Remove now" })).not.toBeInTheDocument();
  });
});

describe("formatBytes", () => {
  it("says sizes in bytes, KB, MB and GB", () => {
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(4096)).toBe("4.0 KB");
    expect(formatBytes(12.34 * 1024 * 1024)).toBe("12.3 MB");
    expect(formatBytes(245 * 1024 * 1024)).toBe("245 MB");
    expect(formatBytes(1.5 * 1024 ** 3)).toBe("1.5 GB");
  });
});
