import { Fragment } from "react";

/** Engine text with `backticked` commands and paths shown as code, not as backticks. */
export function Ticked({ text }: { text: string }) {
  const parts = text.split("`");
  // An odd number of backticks leaves the text as it is rather than guessing.
  if (parts.length % 2 === 0) return <>{text}</>;
  return (
    <>
      {parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : <Fragment key={i}>{part}</Fragment>))}
    </>
  );
}

/** A rule as the engine describes it ("allow exactly: cargo fmt"), the words in code. */
export function RuleText({ text }: { text: string }) {
  const at = text.indexOf(": ");
  if (at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at + 2)}
      <code>{text.slice(at + 2)}</code>
    </>
  );
}
