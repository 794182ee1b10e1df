import { errorText } from "../api";
import { Observable } from "./observable";

export interface Notice {
  id: number;
  tone: "error" | "info";
  text: string;
}

class Notices extends Observable<readonly Notice[]> {
  private next = 1;

  constructor() {
    super([]);
  }

  show(text: string, tone: Notice["tone"] = "info"): void {
    const id = this.next++;
    this.set([...this.state, { id, tone, text }].slice(-4));
    setTimeout(() => this.dismiss(id), tone === "error" ? 8000 : 4000);
  }

  error(prefix: string, e: unknown): void {
    this.show(`${prefix}: ${errorText(e)}`, "error");
  }

  dismiss(id: number): void {
    this.set(this.state.filter((n) => n.id !== id));
  }
}

export const notices = new Notices();
