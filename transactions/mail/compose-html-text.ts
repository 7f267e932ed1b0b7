// The text/plain alternative of an HTML body, made with html-to-text (what mailparser
// uses for the opposite direction): headings, paragraphs, lists, tables, links as
// `text [url]`, entities decoded, no script, style or head content.
import { compile } from 'html-to-text';
import { limitNesting } from './html-nesting.js';

/**
 * Elements nested deeper than this give the text their content, not their shape
 * (html-nesting.ts). Each level of a list or a quote indents every line under it, so 2,000
 * nested lists (18 KB of HTML) made 4 MB of text, and 2,000 levels overflowed html-to-text's
 * stack (the task ended ASRA); 64 levels hold the deepest layout tables of real mail.
 */
const MAX_DEPTH = 64;

// Compiled once: the selectors become a decision tree that every call reuses. It holds
// no state between calls.
const convert = compile({
  wordwrap: 76,
  selectors: [
    // A link whose text is its address is written once, not as `url [url]`.
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    // html-to-text drops <script> and <style> already; these hold no body text either.
    { selector: 'head', format: 'skip' },
    { selector: 'title', format: 'skip' },
    { selector: 'template', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
  ],
  // html-to-text's own default, said here because it matters: a DOM of a larger body
  // would cost many times the message, so past 16 MiB of HTML the text alternative is
  // made from the first 16 MiB (and html-to-text says so on the console).
  limits: { maxInputLength: 1 << 24 },
});

/**
 * The text is at most this many times as long as the HTML (and 1 KiB): past it, it is cut. Real
 * mail makes less text than HTML; a `<hr>` of 4 bytes is a line of 76, and a line in a quote
 * 64 deep starts with 128 characters of `> `.
 */
const MAX_GROWTH = 4;
const CUT = '\n\n[the rest is in the HTML part]\n';

/** The plain text a reader without HTML should see, lines joined by `\n`. */
export function htmlToText(html: string): string {
  const text = convert(limitNesting(html, MAX_DEPTH));
  const most = MAX_GROWTH * html.length + 1024;
  if (text.length <= most) return text;
  // Not between the halves of a surrogate pair.
  const end = (text.charCodeAt(most - 1) & 0xfc00) === 0xd800 ? most - 1 : most;
  return text.slice(0, end) + CUT;
}
