// Command words as people type them in a shell, for bash rules: `git commit -m 'x y'` is
// four words. Only quoting and escapes are understood; what a rule matches is words.

export interface Split {
  words: string[];
  /** A quote was opened and not closed: the last word runs to the end. */
  unclosed: boolean;
}

const SPACE = /\s/;

/** Splits `text` into words the way sh does, quotes and backslashes included (no expansion). */
export function splitWords(text: string): Split {
  const words: string[] = [];
  let word = "";
  // A quoted empty string ('') is still a word.
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (SPACE.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\" && i + 1 < text.length) word += text[++i];
      else word += c;
    }
  }
  if (inWord) words.push(word);
  return { words, unclosed: quote !== null };
}

const PLAIN = /^[A-Za-z0-9._\-/+@:,%=^]+$/;

/** One word as typed back in a shell: bare when plain, else in single quotes. */
export function quoteWord(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function joinWords(words: readonly string[]): string {
  return words.map(quoteWord).join(" ");
}

const GLOB_META = /[*?[\]{}]/;

/**
 * The words a legacy bash glob starts with, up to its first wildcard: `rm -rf /tmp/*`
 * gives `rm -rf`. A starting point for the user, who confirms it by saving.
 */
export function wordsFromGlob(glob: string): string[] {
  const words: string[] = [];
  for (const token of glob.trim().split(/\s+/)) {
    if (!token || GLOB_META.test(token)) break;
    words.push(token);
  }
  return words;
}
