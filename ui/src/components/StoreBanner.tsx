import { useEffect, useRef, useState } from "react";
import * as api from "../api";
import type { StoreHealth } from "../api";

/** How long "Reconnected" stays before it has faded away (the fade is in styles.css). */
export const RECONNECTED_MS = 4000;

/** Seconds from `now` until `at` (an ISO time), never below zero. */
export function secondsUntil(at: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(at) - now) / 1000));
}

/**
 * The banner's words and actions for a given state: nothing while connected (unless it has
 * just reconnected), the countdown to the next try while the database is lost.
 */
export function StoreHealthBanner({
  health,
  now,
  reconnected,
  onRetry,
}: {
  health: StoreHealth;
  now: number;
  reconnected: boolean;
  onRetry: () => void;
}) {
  if (health.state === "connected") {
    if (!reconnected) return null;
    return (
      <div className="store-banner store-banner-ok" role="status" data-testid="store-banner">
        Reconnected to the team database
      </div>
    );
  }
  const seconds = secondsUntil(health.next_try_at, now);
  const when = seconds > 0 ? `retrying in ${seconds} s` : "retrying now";
  return (
    <div className="store-banner" data-testid="store-banner" title={health.error}>
      <span role="status" className="store-banner-text">
        Lost the team database — {when} (attempt {health.attempt})
      </span>
      <details className="store-banner-details">
        <summary>Why</summary>
        <span className="store-banner-reason">{health.error}</span>
      </details>
      <button type="button" onClick={onRetry}>
        Retry now
      </button>
    </div>
  );
}

/** Across the top of the window while the team database cannot be reached. */
export function StoreBanner() {
  const [health, setHealth] = useState<StoreHealth>({ state: "connected" });
  const [reconnected, setReconnected] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const last = useRef<StoreHealth>(health);

  useEffect(() => {
    let heard = false;
    const apply = (next: StoreHealth) => {
      heard = true;
      const wasLost = last.current.state === "reconnecting";
      last.current = next;
      setHealth(next);
      setNow(Date.now());
      setReconnected(wasLost && next.state === "connected");
    };
    // The state as the window opens, unless a change already came.
    api
      .storeHealth()
      .then((h) => {
        if (!heard) apply(h);
      })
      .catch(() => {
        // An older backend without the command: nothing to show.
      });
    return api.subscription(() => api.onStoreHealth(apply));
  }, []);

  // The countdown ticks while lost; "Reconnected" goes after it has faded.
  const lost = health.state === "reconnecting";
  useEffect(() => {
    if (!lost) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [lost]);
  useEffect(() => {
    if (!reconnected) return;
    const t = setTimeout(() => setReconnected(false), RECONNECTED_MS);
    return () => clearTimeout(t);
  }, [reconnected]);

  const retry = () => {
    api.retryStore().catch(() => {
      // The next try comes on its own.
    });
  };
  return <StoreHealthBanner health={health} now={now} reconnected={reconnected} onRetry={retry} />;
}
