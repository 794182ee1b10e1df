import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ConnectionReport, StoreChoice } from "../src/api";
import { apiError, callsOf, mockBackend, type Handler } from "./backend";
import { renderAt } from "./render";

const URL = "postgres://ann@db.example/autowork";

const report: ConnectionReport = {
  url: URL,
  server_version: "16.4 (Debian 16.4-1)",
  database: "autowork",
  user: "ann",
  tls: true,
  password: "typed",
  schema: "absent",
  migrations_applied: 0,
  migrations_known: 2,
};

/** Keeps what set_store is sent; the app was started on `inUse`. */
function databaseBackend(start: StoreChoice, handlers: Record<string, Handler> = {}) {
  let choice = start;
  return mockBackend({
    get_store: () => choice,
    set_store: (a) => {
      const url = (a.url as string | null) || null;
      choice = {
        url,
        in_use: choice.in_use,
        password: url ? { source: a.password ? "keychain" : "missing", keychain_problem: null } : null,
        unreachable: choice.unreachable,
      };
      return choice;
    },
    test_store: () => report,
    restart_app: () => null,
    ...handlers,
  });
}

const section = () => screen.getByTestId("database");

describe("settings: database", () => {
  it("switches to a team database: tests, saves the password to the keychain, offers a restart", async () => {
    const calls = databaseBackend({ url: null, in_use: null, password: null, unreachable: null });
    const { user } = renderAt("#/settings");
    const team = await within(await screen.findByTestId("database")).findByLabelText("Team database");
    await waitFor(() => expect(team).toBeEnabled());
    expect(within(section()).getByLabelText("This computer")).toBeChecked();
    expect(within(section()).queryByLabelText("URL")).toBeNull();

    await user.click(team);
    await user.type(within(section()).getByLabelText("URL"), URL);
    await user.type(within(section()).getByLabelText("Password"), "s3cret-pass");
    await user.click(within(section()).getByRole("button", { name: "Test connection" }));
    const shown = await screen.findByTestId("store-report");
    expect(shown).toHaveTextContent("PostgreSQL 16.4 (Debian 16.4-1)");
    expect(shown).toHaveTextContent("yes (TLS)");
    expect(shown).toHaveTextContent("empty: the first app or daemon to open it creates the schema");
    expect(callsOf(calls, "test_store")).toEqual([{ url: URL, password: "s3cret-pass" }]);

    await user.click(within(section()).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(callsOf(calls, "set_store")).toEqual([{ url: URL, password: "s3cret-pass" }]));
    // The password is never shown again: only that the keychain has it.
    await waitFor(() => expect(within(section()).getByLabelText("Password")).toHaveValue(""));
    expect(within(section()).getByTestId("password-saved")).toHaveTextContent("saved in keychain");
    expect(section()).not.toHaveTextContent("s3cret-pass");
    const restart = screen.getByTestId("store-restart");
    expect(restart).toHaveTextContent("Autowork uses the team database after a restart");
    await user.click(within(restart).getByRole("button", { name: "Restart now" }));
    await waitFor(() => expect(callsOf(calls, "restart_app")).toHaveLength(1));
  });

  it("shows a failed test under the field it names", async () => {
    databaseBackend(
      { url: URL, in_use: URL, password: { source: "missing", keychain_problem: null }, unreachable: null },
      {
        test_store: () => {
          throw apiError({
            kind: "validation",
            error: "invalid_input",
            message: "invalid input",
            details: [
              {
                field: "password",
                message: "password_missing",
                hint: "the server asks a password of user ann: save it in Settings → Database",
              },
            ],
          });
        },
      },
    );
    const { user } = renderAt("#/settings");
    const url = await within(await screen.findByTestId("database")).findByLabelText("URL");
    await waitFor(() => expect(url).toHaveValue(URL));
    expect(screen.queryByTestId("store-restart")).toBeNull();
    await user.click(within(section()).getByRole("button", { name: "Test connection" }));
    const password = within(section()).getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    const field = password.closest(".field") as HTMLElement;
    expect(field).toHaveTextContent("The server asks for a password.");
    expect(url.closest(".field")).not.toHaveClass("field-invalid");
  });

  it("without a keychain says to use AUTOWORK_STORE_PASSWORD", async () => {
    databaseBackend(
      {
        url: URL,
        in_use: URL,
        password: { source: "missing", keychain_problem: "No keychain service is running" },
        unreachable: null,
      },
      {
        set_store: () => {
          throw apiError({
            kind: "validation",
            error: "invalid_input",
            message: "invalid input",
            details: [
              {
                field: "password",
                message: "keychain_unavailable",
                hint: "No keychain service is running, so the password was not saved: set AUTOWORK_STORE_PASSWORD in the environment of the app or of `autowork` instead",
              },
            ],
          });
        },
      },
    );
    const { user } = renderAt("#/settings");
    const password = await within(await screen.findByTestId("database")).findByLabelText("Password");
    expect(section()).toHaveTextContent("No keychain service is running: set AUTOWORK_STORE_PASSWORD instead.");
    await user.type(password, "s3cret-pass");
    await user.click(within(section()).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(password.closest(".field")).toHaveTextContent("set AUTOWORK_STORE_PASSWORD"));
  });

  it("says when the team database could not be opened at start and this computer's is in use", async () => {
    databaseBackend({
      url: URL,
      in_use: null,
      password: { source: "keychain", keychain_problem: null },
      unreachable: "database error: connection refused",
    });
    renderAt("#/settings");
    const alert = await within(await screen.findByTestId("database")).findByTestId("store-unreachable");
    expect(alert).toHaveTextContent("could not be opened when Autowork started");
    expect(alert).toHaveTextContent("connection refused");
    expect(screen.getByTestId("store-restart")).toHaveTextContent("tries the team database again at its next start");
    expect(within(screen.getByTestId("store-restart")).getByRole("button", { name: "Restart now" })).toBeEnabled();
  });
});

describe("settings: database: the connected workers", () => {
  const inUse: StoreChoice = {
    url: URL,
    in_use: URL,
    password: { source: "keychain", keychain_problem: null },
    unreachable: null,
  };

  it("lists each worker on the team database with the folders it serves", async () => {
    databaseBackend(inUse, {
      workers: () => [
        { name: "build-server", kind: "daemon", serves: ["/srv/repos"], this_process: false },
        { name: "ann-laptop", kind: "app", serves: ["/"], this_process: true },
      ],
    });
    renderAt("#/settings");
    const list = await screen.findByTestId("workers");
    await waitFor(() => expect(list).toHaveTextContent("build-server (daemon) serves /srv/repos"));
    expect(list).toHaveTextContent("ann-laptop (app, this app) serves every folder it has");
    expect(list).toHaveTextContent("autowork daemon --store URL --serve /path/to/folder");
  });

  it("says when none is connected, and shows nothing on this computer's database", async () => {
    databaseBackend(inUse, { workers: () => [] });
    const { unmount } = renderAt("#/settings");
    expect(await screen.findByTestId("workers")).toHaveTextContent("None is connected");
    unmount();
    const calls = databaseBackend({ url: null, in_use: null, password: null, unreachable: null }, { workers: () => [] });
    renderAt("#/settings");
    await screen.findByTestId("database");
    expect(screen.queryByTestId("workers")).not.toBeInTheDocument();
    expect(callsOf(calls, "workers")).toEqual([]);
  });
});
