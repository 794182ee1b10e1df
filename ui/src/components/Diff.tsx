/** A unified-diff-like text with added and removed lines coloured. */
export function Diff({ text, label }: { text: string; label?: string }) {
  const lines = text.split("\n");
  return (
    <pre className="diff" aria-label={label ?? "Changes"}>
      {lines.map((line, i) => (
        <span key={i} className={lineClass(line)}>
          {line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}

function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "diff-ctx";
}

/** Whether a text reads as a diff (so it is worth colouring). */
export function looksLikeDiff(text: string): boolean {
  return /^(@@|\+\+\+|---|[+-][^+-])/m.test(text) && /^[+-]/m.test(text);
}
