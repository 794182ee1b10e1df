import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../src/App";

/** Opens the whole app at a route, as the window would show it. */
export function renderAt(hash: string) {
  window.location.hash = hash;
  const user = userEvent.setup();
  return { user, ...render(<App />) };
}
