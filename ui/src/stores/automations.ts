import * as api from "../api";
import type { Automation } from "../api";
import { Observable } from "./observable";
import { RevisionMap } from "./revisionMap";

export const automations = new RevisionMap<Automation>();

export type LoadState = { status: "idle" | "loading" | "ready" } | { status: "error"; error: unknown };
export const automationsLoad = new (class extends Observable<LoadState> {
  update(s: LoadState) {
    this.set(s);
  }
})({ status: "idle" });

export async function reloadAutomations(): Promise<void> {
  if (automationsLoad.get().status !== "ready") automationsLoad.update({ status: "loading" });
  try {
    automations.replaceAll(await api.listAutomations());
    automationsLoad.update({ status: "ready" });
  } catch (error) {
    automationsLoad.update({ status: "error", error });
  }
}
