// HTML written again with its elements nested at most so deep, for html-to-text. Its parser
// (htmlparser2) keeps the open elements in an array it adds to at the front, one move of
// every open element for each new one: 100,000 nested <b> (300 KB) took 48 s of CPU, and
// a SEND body may hold 32 MB. Read here with htmlparser2's own tokenizer (linear) and
// written out tag by tag: every tag explicit, text escaped, nothing self-closing, so that the
// parser behind sees exactly the nesting kept here. Deeper elements lose their tags and keep
// their text. Comments, declarations and processing instructions are left out: no text of
// the mail is in them.
import { Tokenizer, QuoteType } from 'htmlparser2';

// The parser's own rules (htmlparser2 Parser.ts), so that what is written keeps the shape
// it would have had: elements that have no end, and those an opening tag ends.
const VOID = new Set([
  ...['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img'],
  ...['input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr'],
]);
const P = ['p'];
const FORM = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
const IMPLIES_CLOSE = new Map<string, readonly string[]>([
  ['tr', ['tr', 'th', 'td']],
  ['th', ['th']],
  ['td', ['thead', 'th', 'td']],
  ['body', ['head', 'link', 'script']],
  ['li', ['li']],
  ...['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((t): [string, readonly string[]] => [t, P]),
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t): [string, readonly string[]] => [t, FORM]),
  ['option', ['option']],
  ['optgroup', ['optgroup', 'option']],
  ['dd', ['dd', 'dt']],
  ['dt', ['dd', 'dt']],
  ...['address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption']
    .concat(['figure', 'footer', 'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section', 'table', 'ul'])
    .map((t): [string, readonly string[]] => [t, P]),
  ['rt', ['rt', 'rp']],
  ['rp', ['rt', 'rp']],
  ['tbody', ['thead', 'tbody']],
  ['tfoot', ['thead', 'tbody']],
]);
// Their content is text to the tokenizer until their end tag. None is written as such: the
// parser behind would read its content by its own rules. No text of the mail is in script,
// style or title (html-to-text leaves them out): they go, content and all; textarea and xmp
// hold text, written as a span.
const LEFT_OUT = new Set(['script', 'style', 'title']);
const AS_SPAN = new Set(['textarea', 'xmp']);

const escapeText = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const escapeValue = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;');

/** An element open in what is written: its name, and the name it is written as. */
interface Open {
  readonly name: string;
  readonly as: string;
}

/** `html` with every element deeper than `maxDepth` written as its content alone. */
export function limitNesting(html: string, maxDepth: number): string {
  const out: string[] = [];
  const open: Open[] = [];
  /** The tag being read: whether it is written, and as what. */
  let tag: { kept: boolean } | undefined;
  let attribute = { name: '', value: '' };
  /** The element left out (script, style, title) whose content is being skipped. */
  let skipping: string | undefined;
  const slice = (start: number, end: number) => html.slice(start, end);
  const close = (depth: number) => {
    while (open.length > depth) out.push(`</${(open.pop() as Open).as}>`);
  };
  const text = (t: string) => {
    if (skipping === undefined) out.push(escapeText(t));
  };
  const endOpenTag = () => {
    if (tag?.kept) out.push('>');
    tag = undefined;
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      ontext: (start, end) => text(slice(start, end)),
      ontextentity: (codepoint) => text(String.fromCodePoint(codepoint)),
      onopentagname(start, end) {
        const name = slice(start, end).toLowerCase();
        if (LEFT_OUT.has(name)) {
          skipping = name;
          tag = { kept: false };
          return;
        }
        const implied = IMPLIES_CLOSE.get(name);
        while (implied && open.length > 0 && implied.includes((open.at(-1) as Open).name)) close(open.length - 1);
        const as = AS_SPAN.has(name) ? 'span' : name;
        const kept = VOID.has(name) || open.length < maxDepth;
        if (kept) out.push(`<${as}`);
        if (kept && !VOID.has(name)) open.push({ name, as });
        tag = { kept };
      },
      onattribname(start, end) {
        attribute = { name: slice(start, end), value: '' };
      },
      onattribdata(start, end) {
        attribute.value += slice(start, end);
      },
      onattribentity(codepoint) {
        attribute.value += String.fromCodePoint(codepoint);
      },
      onattribend(quote) {
        if (!tag?.kept) return;
        const { name, value } = attribute;
        out.push(quote === QuoteType.NoValue ? ` ${name}` : ` ${name}="${escapeValue(value)}"`);
      },
      onopentagend: endOpenTag,
      // Not self-closing in HTML: the element stays open, as the parser would have it.
      onselfclosingtag: endOpenTag,
      onclosetag(start, end) {
        const name = slice(start, end).toLowerCase();
        if (skipping !== undefined) {
          if (name === skipping) skipping = undefined;
          return;
        }
        if (VOID.has(name)) {
          if (name === 'br') out.push('<br>');
          return;
        }
        let at = open.length - 1;
        while (at >= 0 && (open[at] as Open).name !== name) at--;
        if (at !== -1) close(at);
        else if (name === 'p' && open.length < maxDepth) out.push('<p></p>');
      },
      oncdata() {},
      oncomment() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {
        close(0);
      },
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  return out.join('');
}
