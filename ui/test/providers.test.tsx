import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { ProviderStatus } from "../src/api";
import { callsOf, mockBackend } from "./backend";
import { catalog, status } from "./providerFixtures";
import { renderAt } from "./render";

const optionTexts = (group: Element) => [...group.querySelectorAll("option")].map((o) => o.textContent);

describe("the model picker", () => {
  beforeEach(() => sessionStorage.clear());

  it("lists ready providers' models first and the others under Needs setup, with a way to set them up", async () => {
    mockBackend({
      list_models: () => catalog,
      list_providers: () => [
        status("openai", { ready: true, key: "env", problem: null }),
        status("anthropic"),
        status("ollama"),
      ],
    });
    const { user } = renderAt("#/automations/new");
    const picker = await screen.findByTestId("field-model");
    await waitFor(() => expect(picker.querySelectorAll("optgroup")).toHaveLength(2));
    const [ready, needsSetup] = [...picker.querySelectorAll("optgroup")];
    expect(ready).toHaveAttribute("label", "Ready");
    expect(optionTexts(ready)).toEqual(["GPT-5 (openai)", "GPT-5 mini (openai)"]);
    expect(needsSetup).toHaveAttribute("label", "Needs setup");
    expect(optionTexts(needsSetup)).toEqual([
      "Claude Sonnet 4.5 (anthropic): needs setup",
      "Qwen3 Coder (local) (ollama): needs setup",
    ]);

    await user.selectOptions(picker, "openai/gpt-5");
    expect(screen.queryByTestId("model-needs-setup")).not.toBeInTheDocument();

    await user.selectOptions(picker, "anthropic/claude-sonnet-4-5");
    expect(picker).toHaveValue("anthropic/claude-sonnet-4-5");
    const hint = screen.getByTestId("model-needs-setup");
    expect(hint).toHaveTextContent("Anthropic needs setup. No API key yet");
    expect(within(hint).getByRole("link", { name: "Connect it" })).toHaveAttribute(
      "href",
      "#/connect?provider=anthropic",
    );
  });

  it("falls back to one plain list when the statuses cannot be loaded", async () => {
    mockBackend({ list_models: () => catalog });
    renderAt("#/automations/new");
    const picker = await screen.findByTestId("field-model");
    await waitFor(() => expect(optionTexts(picker)).toContain("GPT-5 (openai)"));
    expect(picker.querySelectorAll("optgroup")).toHaveLength(0);
    expect(optionTexts(picker).filter((t) => t?.includes("needs setup"))).toEqual([]);
    expect(screen.queryByTestId("model-needs-setup")).not.toBeInTheDocument();
  });
});

describe("settings: providers", () => {
  beforeEach(() => sessionStorage.clear());

  function providersBackend(list: ProviderStatus[]) {
    let providers = list;
    return mockBackend({
      list_providers: () => providers,
      set_provider_key: (a) => {
        providers = providers.map((p) =>
          p.config.id === a.id ? { ...p, ready: true, key: "keychain", problem: null, config: { ...p.config, api_key_in_keychain: true } } : p,
        );
        return { kind: "keychain" };
      },
      forget_provider_key: (a) => {
        providers = providers.map((p) => (p.config.id === a.id ? status(p.config.id) : p));
        return providers.find((p) => p.config.id === a.id);
      },
      test_provider: () => ({ kind: "failed", message: "Could not reach https://api.anthropic.com: connection refused", details: null }),
      app_info: () => ({ version: "0.1.0", data_dir: "/d", log_dir: "/l" }),
    });
  }

  const item = (id: string) =>
    screen.getAllByTestId("provider").find((li) => li.getAttribute("data-provider") === id) as HTMLElement;

  it("shows each provider's status in plain words", async () => {
    providersBackend([
      status("openai", { ready: true, key: "env", problem: null }),
      status("anthropic"),
      status("openrouter", {
        key: "missing",
        problem: {
          code: "key_file_exposed",
          message: "The key file /d/keys/openrouter.key is open to other users (mode 0644), so Autowork will not use it; make it private with `chmod 600 /d/keys/openrouter.key`",
          details: null,
        },
        config: { api_key_file: "/d/keys/openrouter.key" },
      }),
      status("ollama"),
    ]);
    renderAt("#/settings");
    await screen.findAllByTestId("provider");
    const label = (id: string) => within(item(id)).getByTestId("provider-status").textContent;
    expect(["openai", "anthropic", "openrouter", "ollama"].map(label)).toEqual([
      "Ready",
      "Needs a key",
      "Key file not private",
      "Not set up",
    ]);
    expect(within(item("openai")).getByText("Key from $OPENAI_API_KEY")).toBeInTheDocument();
    expect(within(item("openrouter")).getByText(/chmod 600 \/d\/keys\/openrouter.key/)).toBeInTheDocument();
    // On the Settings page itself, a missing key points to the row's own button, not to Settings.
    expect(item("anthropic")).toHaveTextContent("No API key yet: add one with “Add API key” or set $ANTHROPIC_API_KEY.");
    expect(item("anthropic")).not.toHaveTextContent("Settings -> Providers");
    expect(screen.queryByText(/No provider is ready yet/)).not.toBeInTheDocument();
  });

  it("stores a key, says where it went, and forgets it again", async () => {
    const calls = providersBackend([status("anthropic")]);
    const { user } = renderAt("#/settings");
    expect(await screen.findByText(/No provider is ready yet/)).toBeInTheDocument();

    await user.click(await screen.findByRole("button", { name: "Store API key for anthropic" }));
    const input = screen.getByLabelText("API key");
    expect(input).toHaveAttribute("type", "password");
    await user.type(input, "sk-ant-0123456789{Enter}");
    expect(await screen.findByTestId("provider-key-note")).toHaveTextContent("Saved in the system keychain.");
    expect(callsOf(calls, "set_provider_key")).toEqual([{ id: "anthropic", key: "sk-ant-0123456789" }]);
    await waitFor(() => expect(within(item("anthropic")).getByTestId("provider-status")).toHaveTextContent("Ready"));

    await user.click(screen.getByRole("button", { name: "Test connection to anthropic" }));
    expect(await screen.findByTestId("provider-test-result")).toHaveTextContent(
      "Could not reach https://api.anthropic.com: connection refused",
    );

    await user.click(screen.getByRole("button", { name: "Forget the key of anthropic" }));
    await waitFor(() => expect(within(item("anthropic")).getByTestId("provider-status")).toHaveTextContent("Needs a key"));
    expect(callsOf(calls, "forget_provider_key")).toEqual([{ id: "anthropic" }]);
  });
});
