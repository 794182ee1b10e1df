// Provider statuses as `list_providers` returns them, for the connect, settings and picker tests.
import type { CatalogModel, ProviderStatus } from "../src/api";

type Over = Partial<Omit<ProviderStatus, "config">> & { config?: Partial<ProviderStatus["config"]> };

export function status(id: string, over: Over = {}): ProviderStatus {
  const presets: Record<string, [string, string, string | null]> = {
    openai: ["OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY"],
    anthropic: ["Anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"],
    openrouter: ["OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"],
    ollama: ["Ollama (on this computer)", "http://127.0.0.1:11434/v1", null],
  };
  const [name, base_url, env] = presets[id] ?? [id, "http://127.0.0.1:8000/v1", null];
  const needsKey = env !== null;
  return {
    name,
    source: id in presets ? "preset" : "user",
    key: needsKey ? "missing" : "not_needed",
    ready: false,
    problem: needsKey
      ? { code: "no_key", message: `No API key yet: paste one under Settings -> Providers or set $${env}`, details: null }
      : { code: "not_set_up", message: "Not set up yet: check that the server runs, then confirm its address", details: null },
    ...over,
    config: {
      id,
      kind: id === "anthropic" ? "anthropic" : "openai_compatible",
      base_url,
      api_key_env: env,
      api_key_in_keychain: false,
      models: [],
      ...over.config,
    },
  };
}

/** A fresh machine: the four presets, none ready. */
export function freshProviders(): ProviderStatus[] {
  return ["openai", "anthropic", "openrouter", "ollama"].map((id) => status(id));
}

export const catalog: CatalogModel[] = [
  { provider_id: "openai", model_id: "gpt-5", display_name: "GPT-5", variants: ["low", "medium", "high"] },
  { provider_id: "openai", model_id: "gpt-5-mini", display_name: "GPT-5 mini", variants: [] },
  { provider_id: "anthropic", model_id: "claude-sonnet-4-5", display_name: "Claude Sonnet 4.5", variants: [] },
  { provider_id: "ollama", model_id: "qwen3-coder", display_name: "Qwen3 Coder (local)", variants: [] },
];
