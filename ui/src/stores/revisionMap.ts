import { Observable } from "./observable";

interface Revisioned {
  id: string;
  revision: number;
}

/**
 * Items keyed by id, keeping only the highest revision seen: events and loads may arrive
 * in any order. A deletion fences its id, so a late update cannot resurrect it.
 */
export class RevisionMap<T extends Revisioned> extends Observable<ReadonlyMap<string, T>> {
  private fences = new Map<string, number>();

  constructor() {
    super(new Map());
  }

  byId(id: string): T | undefined {
    return this.state.get(id);
  }

  /** Returns whether the item was newer than what was kept. */
  upsert(item: T): boolean {
    return this.upsertMany([item]) > 0;
  }

  upsertMany(items: readonly T[]): number {
    let next: Map<string, T> | null = null;
    for (const item of items) {
      const fence = this.fences.get(item.id);
      if (fence !== undefined && item.revision <= fence) continue;
      const kept = (next ?? this.state).get(item.id);
      if (kept && kept.revision >= item.revision) continue;
      next ??= new Map(this.state);
      next.set(item.id, item);
    }
    if (!next) return 0;
    const changed = next.size;
    this.set(next);
    return changed;
  }

  remove(id: string, revision: number): void {
    this.fences.set(id, Math.max(revision, this.fences.get(id) ?? 0));
    if (!this.state.has(id)) return;
    const next = new Map(this.state);
    next.delete(id);
    this.set(next);
  }

  /** Forgets everything, fences included (tests start from nothing). */
  reset(): void {
    this.fences.clear();
    this.set(new Map());
  }

  /** A full reload: keeps newer copies of listed items, drops items no longer listed. */
  replaceAll(items: readonly T[]): void {
    const next = new Map<string, T>();
    for (const item of items) {
      const fence = this.fences.get(item.id);
      if (fence !== undefined && item.revision <= fence) continue;
      const kept = this.state.get(item.id);
      next.set(item.id, kept && kept.revision > item.revision ? kept : item);
    }
    this.set(next);
  }
}
