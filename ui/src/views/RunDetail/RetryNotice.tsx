import { formatDuration } from "../../format";
import { useNow } from "../../hooks";
import type { RetryStatus } from "../../stores/transcript";

/** "Retrying (2 of 4): rate limited — in 12 s", counting down, while the provider is retried. */
export function RetryNotice({ retry }: { retry: RetryStatus }) {
  const now = useNow(1000);
  const seconds = Math.ceil((Date.parse(retry.retryAt) - now) / 1000);
  return (
    <p className="retry-notice" role="status" data-testid="retry-status">
      <span className="retry-spinner" aria-hidden="true" />
      Retrying ({retry.attempt} of {retry.maxAttempts}): {retry.reason} —{" "}
      {seconds > 0 ? `in ${formatDuration(seconds * 1000)}` : "now"}
    </p>
  );
}
