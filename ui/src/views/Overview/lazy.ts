import { createElement } from "react";
import { lazily } from "../../lazily";

/** The Overview, loaded on first use: it brings chart.js. */
export const { Component: OverviewView, preload: preloadOverviewView } = lazily(
  () => import("./OverviewView").then((m) => m.OverviewView),
  createElement("section", { className: "view", "aria-busy": true }),
);
