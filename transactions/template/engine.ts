// The template engine: LiquidJS (docs/architecture.md says why), set up so a template can
// only read the view it is given and show it. A name that is not there, a filter that does
// not exist, a file to include: each an error, never an empty string. Three engines differ
// in how they show a value: the HTML part escapes it; header templates refuse a control
// character (a CR LF could start a header of its own); the text part shows it as it is.
import {
  evalToken,
  filters as builtin,
  ForTag,
  Liquid,
  TablerowTag,
  toValue,
  type Context,
  type Emitter,
} from 'liquidjs';
import { TemplateValueError } from './errors.js';
import { cobolFilters, shown } from './filters.js';

export type PartKind = 'html' | 'text' | 'header';

export interface TemplateLimits {
  /** Characters of one template (LiquidJS parseLimit). */
  readonly parseChars: number;
  /** Milliseconds one part may take to render (LiquidJS renderLimit). */
  readonly renderMs: number;
  /**
   * What one part may make (LiquidJS memoryLimit): characters of the values it writes and of
   * what its filters make, numbers of the ranges it makes, and turns of its loops.
   */
  readonly memory: number;
}

export const TEMPLATE_LIMITS: TemplateLimits = { parseChars: 1_000_000, renderMs: 5_000, memory: 5_000_000 };

export type Engines = Readonly<Record<PartKind, Liquid>>;

// C0 and C1 controls and DEL, as MAIL refuses them in its header fields.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

type FilterThis = { context: { memoryLimit: { use(count: number): void } } };

/** A value as Liquid writes it. */
function text(value: unknown): string {
  const v: unknown = toValue(value);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join('');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // A group of the record, as Liquid's own output would show an object: its JSON.
  return JSON.stringify(v) ?? '';
}

const SHOW: Record<PartKind, (this: FilterThis, value: unknown) => string> = {
  html(value) {
    return (builtin.escape as (this: FilterThis, v: unknown) => string).call(this, value);
  },
  text(value) {
    const s = text(value);
    this.context.memoryLimit.use(s.length);
    return s;
  },
  header(value) {
    const s = text(value);
    this.context.memoryLimit.use(s.length);
    const bad = CONTROL.exec(s);
    if (bad) {
      const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      throw new TemplateValueError(
        `${shown(s)} holds control character U+${code} at position ${bad.index + 1}`,
        'control',
      );
    }
    return s;
  },
};

/** How many times a loop over `collection` runs. */
function entries(collection: unknown): number {
  if (Array.isArray(collection)) return collection.length;
  if (collection !== null && typeof collection === 'object') return Object.keys(collection).length;
  return 1;
}

// Each loop counts its turns against the memory limit before it starts, so nested loops over
// tables are bounded by the limit, not only by the clock: LiquidJS counts the values a loop
// writes and the ranges it makes, not its turns.
class CountedFor extends ForTag {
  override *render(ctx: Context, emitter: Emitter): Generator<unknown, void | string, never> {
    const collection: unknown = yield evalToken(this.collection, ctx);
    ctx.memoryLimit.use(entries(collection));
    return yield* super.render(ctx, emitter);
  }
}

class CountedTablerow extends TablerowTag {
  override *render(ctx: Context, emitter: Emitter): Generator<unknown, void, never> {
    const collection: unknown = yield evalToken(this.collection, ctx);
    ctx.memoryLimit.use(entries(collection));
    return yield* super.render(ctx, emitter);
  }
}

function engine(kind: PartKind, limits: TemplateLimits): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    lenientIf: false,
    jsTruthy: false,
    // Dates in the record are dates, not instants: shown as they are, whatever the host's zone.
    timezoneOffset: 0,
    locale: 'en-US',
    outputEscape: SHOW[kind],
    // Templates come from the region definition, never from the file system at run time.
    templates: {},
    cache: false,
    parseLimit: limits.parseChars,
    renderLimit: limits.renderMs,
    memoryLimit: limits.memory,
  });
  for (const tag of ['include', 'render', 'layout']) delete liquid.tags[tag];
  liquid.registerTag('for', CountedFor);
  liquid.registerTag('tablerow', CountedTablerow);
  // `raw` would show a value unescaped in the HTML part.
  if (kind === 'html') liquid.unregisterFilter('raw');
  for (const [name, filter] of Object.entries(cobolFilters())) liquid.registerFilter(name, filter);
  return liquid;
}

/** The three engines, with their own filters and caches: one set a worker thread. */
export function createEngines(limits: TemplateLimits = TEMPLATE_LIMITS): Engines {
  return { html: engine('html', limits), text: engine('text', limits), header: engine('header', limits) };
}
