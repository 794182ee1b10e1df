/**
 * The items whose text matches `query`, best first: the text starts with it; then every
 * word of it starts a word of the text; then every word occurs somewhere; then its letters
 * occur in order ("gts" finds "Go to Settings"). Equal matches keep the given order.
 */
export function rankMatches<T>(items: readonly T[], query: string, text: (item: T) => string): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...items];
  const words = q.split(/\s+/);
  const letters = q.replace(/\s+/g, "");
  const scored: { item: T; tier: number; at: number }[] = [];
  items.forEach((item, at) => {
    const tier = matchTier(text(item).toLowerCase(), q, words, letters);
    if (tier !== null) scored.push({ item, tier, at });
  });
  return scored.sort((a, b) => a.tier - b.tier || a.at - b.at).map((s) => s.item);
}

function matchTier(t: string, q: string, words: string[], letters: string): number | null {
  if (t.startsWith(q)) return 0;
  const starts = t.split(/[\s/._-]+/);
  if (words.every((w) => starts.some((s) => s.startsWith(w)))) return 1;
  if (words.every((w) => t.includes(w))) return 2;
  let i = 0;
  for (const c of t) if (c === letters[i]) i++;
  return i === letters.length ? 3 : null;
}
