import { memo, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import "./markdown.css";

const plugins = [remarkGfm];

// Nothing in a transcript navigates the app window: a link shows its text and its address
// (to copy), an image its description (no remote loads).
const components: Components = {
  a: ({ href, children }) => <LinkText href={href}>{children}</LinkText>,
  img: ({ alt, src }) => (
    <span className="md-image">
      [{alt || "image"}
      {typeof src === "string" && src ? <span className="md-url"> {src}</span> : null}]
    </span>
  ),
  table: ({ children }) => (
    <div className="md-table">
      <table>{children}</table>
    </div>
  ),
};

function LinkText({ href, children }: { href?: string; children: ReactNode }) {
  const text = typeof children === "string" ? children : null;
  // An autolink's text is its address (or the address without `mailto:`): say it once.
  const same = !href || text === href || `mailto:${text}` === href;
  return (
    <span className="md-link" title={href}>
      {children}
      {!same && <span className="md-url"> ({href})</span>}
    </span>
  );
}

/**
 * Markdown (CommonMark and GitHub's tables, task lists, strikethrough) as React elements.
 * Raw HTML in the text is dropped, never rendered.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={plugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});

/**
 * Where streaming text can be cut: the end of its last complete block (a blank line)
 * outside a code fence. Up to there it is rendered as markdown; the rest, still growing,
 * as plain text, so a delta re-parses nothing.
 */
export function stableLength(text: string): number {
  let cut = text.lastIndexOf("\n\n");
  while (cut > 0) {
    const fences = text.slice(0, cut).match(/^ {0,3}(```|~~~)/gm)?.length ?? 0;
    if (fences % 2 === 0) return cut + 2;
    // Inside an open code block: cut before the block starts instead.
    cut = text.lastIndexOf("\n\n", cut - 1);
  }
  return 0;
}

/** Streaming text: its complete blocks as markdown, the growing tail as plain text. */
export function StreamingMarkdown({ text, cursor }: { text: string; cursor?: ReactNode }) {
  const cut = stableLength(text);
  return (
    <>
      {cut > 0 && <Markdown text={text.slice(0, cut)} />}
      <div className="prose">
        {text.slice(cut)}
        {cursor}
      </div>
    </>
  );
}
