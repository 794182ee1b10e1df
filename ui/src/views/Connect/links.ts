import { href } from "../../routing";

/**
 * Where to send someone whose run failed because of its provider (no key, key refused,
 * server unreachable): the "Connect a model" step with that provider chosen.
 * `providerFixHref("openai")` is `#/connect?provider=openai`.
 */
export function providerFixHref(providerId?: string): string {
  return href({ view: "connect", provider: providerId });
}
