// HTML: the report as a page a browser shows in a fixed-width font and prints page by
// page: each report page a <pre> that CSS breaks after (break-after, and the older
// page-break-after), with the paper, orientation, margin and font size of the options.
import { merged, type Line, type Page } from './carriage.js';
import type { ReportOptions } from './options.js';
import { layoutOf } from './layout.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ESCAPES[c] as string);

/** A line; where an underscore is printed over a character (the usual overprint), that character is underlined. */
function lineHtml(line: Line): string {
  const text = merged(line);
  if (line.over === undefined) return escape(text);
  const under = new Set<number>();
  for (const over of line.over)
    for (let i = 0; i < over.length; i++) if (over[i] === '_' && (line.text[i] ?? ' ') !== ' ') under.add(i);
  if (under.size === 0) return escape(text);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const inRun = under.has(i);
    let j = i;
    while (j < text.length && under.has(j) === inRun) j++;
    const run = escape(text.slice(i, j));
    out += inRun ? `<u>${run}</u>` : run;
    i = j;
  }
  return out;
}

export function renderHtml(pages: readonly Page[], title: string, options: ReportOptions): string {
  const { orientation, fontSize } = layoutOf(pages, options);
  const paper = options.paper === 'a4' ? 'A4' : 'letter';
  const body = pages.map((page) => `<pre class="page">${page.map(lineHtml).join('\n')}\n</pre>`).join('\n');
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escape(title)}</title>
<style>
@page { size: ${paper} ${orientation}; margin: ${options.margin.toFixed(2)}pt; }
body { margin: 0; }
pre { font-family: "Courier New", Courier, monospace; font-size: ${fontSize}pt; line-height: 1.1; margin: 0; white-space: pre; }
.page { break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
@media screen { body { margin: 1em; } .page { border-bottom: 1px dashed #999; padding: 1em 0; } }
</style>
</head>
<body>
${body}
</body>
</html>`;
}
