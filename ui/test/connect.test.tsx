import { screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { ConnectionTest, KeyStorage, ProviderStatus } from "../src/api";
import { providerFixHref } from "../src/views/Connect/links";
import { callsOf, mockBackend } from "./backend";
import { catalog, freshProviders, status } from "./providerFixtures";
import { renderAt } from "./render";

const FILE_NOTE =
  "No keychain service is running, so the key is saved in /home/me/.local/share/autowork/keys/openai.key, readable only by you.";

/** A backend where storing openai's key makes it ready, as the engine would. */
function connectBackend(test: ConnectionTest = { kind: "ok", models: 42 }, storage?: KeyStorage) {
  let providers: ProviderStatus[] = freshProviders();
  const calls = mockBackend({
    list_providers: () => providers,
    list_models: () => catalog,
    set_provider_key: (a) => {
      const path = `/home/me/.local/share/autowork/keys/${a.id as string}.key`;
      providers = providers.map((p) =>
        p.config.id === a.id
          ? { ...p, ready: true, key: "file", problem: null, config: { ...p.config, api_key_file: path } }
          : p,
      );
      return (
        storage ?? {
          kind: "file",
          path,
          reason: "No keychain service is running",
          details: "DBus error: org.freedesktop.DBus.Error.ServiceUnknown",
        }
      );
    },
    set_provider: (a) => {
      const config = a.config as ProviderStatus["config"];
      providers = [...providers.filter((p) => p.config.id !== config.id), status(config.id, { ready: true, config })];
      return providers.find((p) => p.config.id === config.id);
    },
    test_provider: () => test,
    set_settings: (a) => a.settings,
  });
  return calls;
}

describe("connect a model", () => {
  beforeEach(() => sessionStorage.clear());

  it("opens at start when no provider is ready, and Later puts it off for the session", async () => {
    mockBackend({ list_providers: () => freshProviders(), list_models: () => catalog });
    const { user, unmount } = renderAt("#/automations");
    await waitFor(() => expect(window.location.hash).toBe("#/connect"));
    expect(await screen.findByRole("heading", { name: "Connect a model" })).toBeInTheDocument();
    // The providers load after the heading shows.
    expect(await screen.findByTestId("connect-provider-openai")).toHaveTextContent("Needs a key");
    expect(screen.getByTestId("connect-provider-ollama")).toHaveTextContent("Not set up");

    await user.click(screen.getByTestId("connect-later"));
    expect(window.location.hash).toBe("#/automations");
    unmount();
    renderAt("#/automations");
    await waitFor(() => expect(screen.queryByRole("heading", { name: "Connect a model" })).not.toBeInTheDocument());
    expect(window.location.hash).toBe("#/automations");
  });

  it("stays away when a provider is ready", async () => {
    const calls = mockBackend({
      list_providers: () => [status("openai", { ready: true, key: "env", problem: null })],
    });
    renderAt("#/automations");
    await waitFor(() => expect(callsOf(calls, "list_providers").length).toBeGreaterThan(0));
    expect(window.location.hash).toBe("#/automations");
  });

  it("picks, saves the key with where it went, tests, and saves the chosen model as the default", async () => {
    const calls = connectBackend();
    const { user } = renderAt("#/connect");

    await user.click(await screen.findByTestId("connect-provider-openai"));
    // The key goes in the field right here, not under Settings.
    expect(screen.getByRole("form", { name: "Key" })).toHaveTextContent("No API key yet: paste one below or set $OPENAI_API_KEY.");
    const key = screen.getByTestId("connect-key");
    expect(key).toHaveAttribute("type", "password");
    expect(key).toHaveFocus();
    await user.type(key, "sk-proj-0123456789");
    await user.click(screen.getByTestId("connect-save"));

    expect(await screen.findByTestId("connect-saved")).toHaveTextContent(FILE_NOTE);
    expect(callsOf(calls, "set_provider_key")).toEqual([{ id: "openai", key: "sk-proj-0123456789" }]);
    expect(screen.getByTestId("connect-key")).toHaveValue("");

    await user.click(screen.getByTestId("connect-test"));
    expect(await screen.findByTestId("connect-test-result")).toHaveTextContent("Connected: 42 models available.");
    expect(callsOf(calls, "test_provider")).toEqual([{ id: "openai" }]);

    const model = screen.getByTestId("connect-model");
    expect(model).toHaveValue("openai/gpt-5");
    expect([...model.querySelectorAll("option")].map((o) => o.textContent)).toEqual(["GPT-5", "GPT-5 mini"]);
    await user.selectOptions(model, "openai/gpt-5-mini");
    await user.click(screen.getByTestId("connect-done"));

    await waitFor(() => expect(window.location.hash).toBe("#/automations/new"));
    expect(callsOf(calls, "set_settings")).toEqual([
      {
        settings: {
          notifications: true,
          default_model: { provider_id: "openai", model_id: "gpt-5-mini" },
          default_step_cap: 40,
          tray_hint_shown: false,
        },
      },
    ]);
  });

  it("goes from start to finish with the keyboard alone", async () => {
    const calls = connectBackend(undefined, { kind: "keychain" });
    const { user } = renderAt("#/connect");
    await waitFor(() => expect(screen.getByTestId("connect-provider-openai")).toHaveFocus());

    await user.keyboard("{Enter}");
    expect(screen.getByTestId("connect-key")).toHaveFocus();
    await user.keyboard("sk-proj-keyboard-0123{Enter}");
    expect(await screen.findByTestId("connect-saved")).toHaveTextContent("Saved in the system keychain.");
    await waitFor(() => expect(screen.getByTestId("connect-test")).toHaveFocus());
    await user.keyboard("{Enter}");
    await screen.findByTestId("connect-test-result");
    expect(screen.getByTestId("connect-model")).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("connect-done")).toHaveFocus();
    await user.keyboard("{Enter}");

    await waitFor(() => expect(window.location.hash).toBe("#/automations/new"));
    expect(callsOf(calls, "set_settings")[0].settings).toMatchObject({
      default_model: { provider_id: "openai", model_id: "gpt-5" },
    });
  });

  it("shows a failed test in plain words with the details folded away", async () => {
    connectBackend({
      kind: "failed",
      message: "The provider refused the key (401)",
      details: "https://api.openai.com/v1/models answered 401: Incorrect API key provided",
    });
    const { user } = renderAt("#/connect?provider=openai");
    await user.type(await screen.findByTestId("connect-key"), "sk-wrong-0123456789{Enter}");
    await screen.findByTestId("connect-saved");
    await user.click(screen.getByTestId("connect-test"));
    const result = await screen.findByTestId("connect-test-result");
    expect(result).toHaveTextContent(/^The provider refused the key \(401\)Details/);
    expect(screen.getByText(/Incorrect API key provided/)).not.toBeVisible();
  });

  it("sets up another OpenAI-compatible server by its address and a model it serves", async () => {
    const calls = connectBackend();
    const { user } = renderAt("#/connect");
    await user.click(await screen.findByTestId("connect-provider-other"));
    const url = screen.getByTestId("connect-url");
    expect(url).toHaveFocus();
    await user.clear(url);
    await user.type(url, "http://127.0.0.1:1234/v1");
    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "lmstudio");
    await user.click(screen.getByTestId("connect-save"));
    expect(await screen.findByTestId("connect-saved")).toHaveTextContent("Saved. This server needs no key.");
    expect(callsOf(calls, "set_provider")[0].config).toMatchObject({
      id: "lmstudio",
      kind: "openai_compatible",
      base_url: "http://127.0.0.1:1234/v1",
    });
    expect(callsOf(calls, "set_provider_key")).toEqual([]);

    await user.type(screen.getByTestId("connect-model"), "qwen2.5-coder");
    await user.click(screen.getByTestId("connect-done"));
    await waitFor(() => expect(window.location.hash).toBe("#/automations/new"));
    expect(callsOf(calls, "set_provider")[1].config).toMatchObject({ id: "lmstudio", models: ["qwen2.5-coder"] });
    expect(callsOf(calls, "set_settings")[0].settings).toMatchObject({
      default_model: { provider_id: "lmstudio", model_id: "qwen2.5-coder" },
    });
  });

  it("links a failed run's provider to its setup", () => {
    expect(providerFixHref("openai")).toBe("#/connect?provider=openai");
    expect(providerFixHref()).toBe("#/connect");
  });
});
