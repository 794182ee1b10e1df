import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/react";
import { afterEach, beforeAll } from "vitest";
import { resetStores } from "../src/stores/sync";
import { preloadOverviewView } from "../src/views/Overview/lazy";
import { preloadRunDetail } from "../src/views/RunDetail/lazy";

// The views whose code loads on first use are loaded before the tests: a test waits for
// what a view shows, not for a module to be transformed (slow on a cold cache, as in CI).
beforeAll(async () => {
  await Promise.all([preloadOverviewView(), preloadRunDetail()]);
});

afterEach(() => {
  cleanup();
  clearMocks();
  resetStores();
  window.location.hash = "";
});
