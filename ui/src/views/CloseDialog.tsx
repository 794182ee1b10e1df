import { useEffect, useState } from "react";
import * as api from "../api";
import { Dialog } from "../components/Dialog";
import { notices } from "../stores/notices";

/** Shown on the first close: says plainly what runs when the window is closed or the app quit. */
export function CloseDialog({ onClose }: { onClose: () => void }) {
  const [autostart, setAutostart] = useState(false);
  useEffect(() => {
    api.getAutostart().then(setAutostart, () => {});
  }, []);
  const toggle = async (enabled: boolean) => {
    setAutostart(enabled);
    try {
      setAutostart(await api.setAutostart(enabled));
    } catch (e) {
      setAutostart(!enabled);
      notices.error("Could not change start at login", e);
    }
  };
  const act = (call: () => Promise<null>) => {
    onClose();
    call().catch((e: unknown) => notices.error("Could not close the window", e));
  };
  return (
    <Dialog title="Keep Autowork running?" onClose={onClose}>
      <p>
        Autowork keeps running in the tray: scheduled automations keep firing while the window is
        closed. When you quit Autowork (tray → Quit), nothing runs.
      </p>
      <label className="check">
        <input type="checkbox" checked={autostart} onChange={(e) => void toggle(e.target.checked)} />
        Start Autowork when I log in
      </label>
      <div className="actions">
        <button type="button" onClick={() => act(api.quit)}>
          Quit
        </button>
        <button type="button" className="primary" onClick={() => act(api.hideToTray)}>
          Keep running in the tray
        </button>
      </div>
    </Dialog>
  );
}
