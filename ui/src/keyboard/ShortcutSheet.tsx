import { Fragment } from "react";
import { Dialog } from "../components/Dialog";
import { SCOPES, SHORTCUTS, keyLabel, type Shortcut } from "./shortcuts";
import "./keyboard.css";

const LIST: Shortcut[] = Object.values(SHORTCUTS);

/**
 * Every shortcut of the app, grouped by where it works (read from the one registry). One grid
 * for all groups, so the keys of every group share a column and the words line up.
 */
export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <div className="shortcut-sheet" data-testid="shortcut-sheet">
        {SCOPES.map((scope) => (
          <section key={scope} aria-label={scope}>
            <h3>{scope}</h3>
            <dl>
              {LIST.filter((s) => s.where === scope).map((s) => (
                <div key={s.does}>
                  <dt>
                    <Keys shortcut={s} />
                  </dt>
                  <dd>{s.does}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function Keys({ shortcut }: { shortcut: Shortcut }) {
  return (
    <>
      {shortcut.keys.map((chord, i) => (
        <Fragment key={i}>
          {i > 0 && <span className="or">or</span>}
          {chord.map((k, j) => (
            <Fragment key={j}>
              {j > 0 && "+"}
              <kbd>{keyLabel(k)}</kbd>
            </Fragment>
          ))}
        </Fragment>
      ))}
    </>
  );
}
