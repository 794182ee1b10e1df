import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetStores } from "../src/stores/sync";

afterEach(() => {
  cleanup();
  clearMocks();
  resetStores();
  window.location.hash = "";
});
