import { useCallback, useEffect, useState } from "react";
import * as api from "../../api";
import type { ProviderStatus } from "../../api";

/**
 * The providers' statuses, loaded once (and again on `reload`); null until they arrive or
 * when they cannot be loaded, so callers fall back to showing everything alike.
 */
export function useProviderStatuses(): [ProviderStatus[] | null, () => void] {
  const [list, setList] = useState<ProviderStatus[] | null>(null);
  const reload = useCallback(() => {
    api.listProviders().then(setList, () => setList(null));
  }, []);
  useEffect(reload, [reload]);
  return [list, reload];
}
