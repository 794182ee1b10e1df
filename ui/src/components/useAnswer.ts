import { useState } from "react";
import { errorText, type Run } from "../api";

/**
 * Sends an answer to a waiting run (a permission reply, answers to questions): pending while
 * it goes, the error in words if it fails (the run keeps waiting), `onAnswered` with the run
 * the engine returns.
 */
export function useAnswer(onAnswered: (run: Run) => void) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const send = async (call: () => Promise<Run>) => {
    setPending(true);
    setError(null);
    try {
      onAnswered(await call());
    } catch (e) {
      setError(errorText(e));
      setPending(false);
    }
  };
  return { pending, error, send };
}
