// The text/plain alternative of an HTML body, made with html-to-text (what mailparser
// uses for the opposite direction): headings, paragraphs, lists, tables, links as
// `text [url]`, entities decoded, no script, style or head content.
import { compile } from 'html-to-text';

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

/** The plain text a reader without HTML should see, lines joined by `\n`. */
export function htmlToText(html: string): string {
  return convert(html);
}
