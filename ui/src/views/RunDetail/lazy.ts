import { createElement } from "react";
import { lazily } from "../../lazily";

/** The run's page, loaded on first use: it brings the markdown and ANSI renderers. */
export const { Component: RunDetailView, preload: preloadRunDetail } = lazily(
  () => import("./RunDetailView").then((m) => m.RunDetailView),
  createElement("section", { className: "view", "aria-busy": true }),
);
