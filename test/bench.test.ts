// npm run bench in its smoke size (a second a part): it runs to the end and prints every
// figure. The figures are not checked against anything: they are the machine's, not a test.
// Runs the compiled benchmark (npm test builds it first); needs Postfix's smtp-sink and
// smtp-source.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { benchUnavailable } from '../bench/processes.js';
import { defaultWorkers as regionDefault } from '../config/settings.js';

const RUN = fileURLToPath(new URL('../dist/bench/run.js', import.meta.url));
const NUMBER = String.raw`[\d,]+(?:\.\d+)?`;

t.test('the benchmark runs every part and prints every figure', { skip: benchUnavailable() ?? false }, async (t) => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [RUN, '--json'],
      { env: { ...process.env, BENCH_SIZE: 'smoke' }, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
  t.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  const expect: [string, RegExp][] = [
    ['header', /^cicsmail bench \(smoke\): one run on one machine: \d+ cores/],
    ['(a)', new RegExp(`^\\(a\\) region, MAIL end to end .* to smtp-sink: ${NUMBER} tx/s`)],
    [
      'keys',
      new RegExp(
        `^\\(a\\) with a request key on every request: ${NUMBER} tx/s against ${NUMBER} without, a cost of -?${NUMBER} %`,
      ),
    ],
    [
      'fate',
      new RegExp(
        `^\\(a\\) with mail fate off / DSN .*: ${NUMBER} / ${NUMBER} / ${NUMBER} tx/s \\(DSN/off ${NUMBER}, webhook/off ${NUMBER}\\)`,
      ),
    ],
    ['the mail', new RegExp(`^ {4}the mail: ${NUMBER} bytes as the region composed it$`)],
    ['(b)', new RegExp(`^\\(b\\) nodemailer, pooled .*: ${NUMBER} msg/s`)],
    ['(c)', new RegExp(`^\\(c\\) HTTP ceiling, .*: ${NUMBER} req/s`)],
    ['(d)', new RegExp(`^\\(d\\) SMTP ceiling, smtp-source -d .*: ${NUMBER} msg/s`)],
    ['ratios', new RegExp(`^a/b ${NUMBER} {3}a/c ${NUMBER} {3}a/d ${NUMBER}$`)],
    [
      'CPU a mail',
      new RegExp(
        `^CPU a 2 KB mail: the region ${NUMBER} µs \\(.*\\); HTTP floor ${NUMBER} µs \\(.*\\); SMTP floor ${NUMBER} µs \\(.*, ${NUMBER} msg/s over .*\\); region / \\(HTTP \\+ SMTP\\) ${NUMBER}$`,
      ),
    ],
    [
      'p99 at half',
      new RegExp(
        `^p99 at half the highest rate \\(${NUMBER}/s fixed, .*\\): ${NUMBER} ms  \\[p50 ${NUMBER} ms, p99/p50 ${NUMBER}, `,
      ),
    ],
    [
      '(e)',
      new RegExp(
        `^\\(e\\) a template program of the shop's own, PAYS .*: ${NUMBER} tx/s against MAIL's ${NUMBER} \\(PAYS/MAIL ${NUMBER}\\)  \\[.*; 0 not RC 0\\]$`,
      ),
    ],
    ['scaling', /^how cost grows \(MAIL end to end; each cell /],
    ...(['64 KB', '1 MB'] as const).map((label): [string, RegExp] => [
      `${label} ceilings`,
      new RegExp(
        `^${label} mails against their ceilings: the region ${NUMBER} mails/s \\(${NUMBER} MB/s; .*\\); SMTP wire, ` +
          `smtp-source -d -s 20 -l \\d+ to smtp-sink: ${NUMBER} msg/s; synced writes of ${NUMBER} bytes \\(.*\\): ` +
          `${NUMBER}/s; region / SMTP wire ${NUMBER}, region / synced writes ${NUMBER}, region / the lower ${NUMBER}$`,
      ),
    ]),
    ['idle RSS', new RegExp(`^RSS of a fresh region \\(\\d+ workers?, .*\\): ${NUMBER} MB$`)],
    [
      'targets',
      new RegExp(
        '^targets: ' +
          [
            `a/b ${NUMBER} \\(≥ 3: (not )?met\\)`,
            `a/c ${NUMBER} \\(≥ 0.25: (not )?met\\)`,
            `p99 at a/2 ${NUMBER} ms \\(≤ 20 ms: (not )?met; p99/p50 ${NUMBER}\\)`,
            `1 MB mails / the lower ceiling ${NUMBER} \\(≥ 0.6: (not )?met\\)`,
            `region CPU a mail / \\(HTTP \\+ SMTP floors\\) ${NUMBER} \\(≤ 2: (not )?met\\)`,
            `keyed/plain MAIL ${NUMBER} \\(≥ 0.95: (not )?met\\)`,
            `DSN/plain MAIL ${NUMBER} \\(≥ 0.95: (not )?met\\)`,
            `PAYS/MAIL ${NUMBER} \\(≥ 0.95: (not )?met\\)`,
            `idle RSS ${NUMBER} MB \\(≤ 130 MB: (not )?met\\)`,
            `RSS growth, 10 MB attachments -?${NUMBER} MB \\(≤ 25 MB: (not )?met\\)`,
            `RSS growth, one 20 MB attachment -?${NUMBER} MB \\(≤ 40 MB: (not )?met\\)`,
          ].join('; ') +
          '$',
      ),
    ],
    ['RSS', new RegExp(`^peak RSS growth of the region sending 10 MB attachments: -?${NUMBER} MB`)],
    ['RSS one', new RegExp(`^peak RSS growth of the region sending one 20 MB attachment: -?${NUMBER} MB`)],
    ['done', /^done in \d+ s/],
  ];
  for (const [name, pattern] of expect)
    t.ok(
      lines.some((l) => pattern.test(l)),
      `${name}: ${pattern}`,
    );
  // Each scaling table: its heading and one row a cell of the smoke plan (1 and 8
  // connections; 2 KB and 1 MB mails; 1 and 2 workers), a figure in every column.
  const cellRow = (label: string) =>
    new RegExp(`^ +${label} +${NUMBER} +${NUMBER} +${NUMBER} +(?:${NUMBER}|-) +${NUMBER}$`);
  for (const [title, labels] of [
    ['connections', ['1', '8']],
    ['mail size', ['2 KB', '64 KB', '1 MB']],
    ['workers', ['1', '2']],
  ] as const) {
    const at = lines.findIndex((l) =>
      new RegExp(`^ +${title} +tx/s +p50 ms +p99 ms +mails/flush +mail bytes$`).test(l),
    );
    t.not(at, -1, `the ${title} table's heading`);
    t.same(
      lines.slice(at + 1, at + 1 + labels.length).map((l, i) => cellRow(labels[i] as string).test(l)),
      labels.map(() => true),
      `the ${title} table: a row for each of ${labels.join(', ')}`,
    );
  }
  const figures = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
  for (const key of [
    'a',
    'keys',
    'fate',
    'b',
    'c',
    'd',
    'ratios',
    'cpu',
    'halfRate',
    'scaling',
    'ceilings',
    'idleRssBytes',
    'rss',
    'rssOne',
    'targets',
  ])
    t.ok(key in figures, `--json has ${key}`);
  // The region answered every mail of every part with RC 0: the figures are of mail sent.
  t.same(
    (figures.fate as { runs: { notRc0: number }[] }).runs.map((r) => r.notRc0),
    [0, 0, 0],
    'fate off, DSN, DSN and a webhook: RC 0',
  );
  t.match(figures, {
    a: { notRc0: 0 },
    keys: { notRc0: 0 },
    halfRate: { notRc0: 0 },
    rss: { notRc0: 0 },
    rssOne: { notRc0: 0 },
  });
  const { defaultWorkers, ...scaling } = figures.scaling as { defaultWorkers: number } & Record<
    'connections' | 'sizes' | 'workers',
    { notRc0: number; mailBytes: number }[]
  >;
  t.equal(defaultWorkers, regionDefault(), "the tables ran on the region's default workers");
  t.same(Object.keys(scaling).sort(), ['connections', 'sizes', 'workers']);
  for (const cells of Object.values(scaling)) for (const c of cells) t.equal(c.notRc0, 0, 'every scaling cell: RC 0');
  // The mails of the size table are of the sizes named: 2 KB, about 64 KB, about 1 MB.
  const bytes = (scaling.sizes ?? []).map((c) => c.mailBytes);
  t.ok(bytes[0]! > 1_500 && bytes[0]! < 2_500, `a 2 KB mail: ${bytes[0]}`);
  t.ok(bytes[1]! > 60_000 && bytes[1]! < 70_000, `a 64 KB mail: ${bytes[1]}`);
  t.ok(bytes[2]! > 1_000_000 && bytes[2]! < 1_100_000, `a 1 MB mail: ${bytes[2]}`);
  // The new figures are numbers, each ratio of two measured in the same run.
  const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  const cpu = figures.cpu as Record<string, unknown>;
  for (const key of ['regionUsPerMail', 'httpFloorUs', 'smtpFloorUs', 'smtpFloorMsgPerSec', 'ratio'])
    t.ok(positive(cpu[key]), `cpu.${key} is a number: ${String(cpu[key])}`);
  t.ok(positive((figures.halfRate as { p99OverP50: unknown }).p99OverP50), 'halfRate.p99OverP50 is a number');
  const ceilings = figures.ceilings as { size: string; mailBytes: number; [k: string]: unknown }[];
  t.same(
    ceilings.map((c) => c.size),
    ['64 KB', '1 MB'],
    'a line of ceilings for 64 KB and for 1 MB mails',
  );
  for (const c of ceilings) {
    t.equal(c.mailBytes, bytes[c.size === '1 MB' ? 2 : 1], `${c.size}: the size table's mail`);
    for (const key of ['region', 'wire', 'disk', 'ofLower']) t.ok(positive(c[key]), `${c.size} ${key} is a number`);
  }
});
