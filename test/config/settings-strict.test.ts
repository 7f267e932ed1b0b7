// Settings are checked as strictly as requests: each bad one stops the start with its
// variable (or the region file's key and line) named and the reason, quickly, whatever the
// file it names turns out to be; a misspelled variable is named at start.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, truncateSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../config/settings.js';
import { REGION_SETTINGS, unknownVariables } from '../../config/setting-names.js';
import { buildRegion } from '../../region/app.js';
import { startRegion as startListening } from '../../region/server.js';
import { freshDir } from '../helpers/test-like.js';
import { cicsmail } from '../helpers/cli.js';
import { makeCerts } from '../helpers/certs.js';

/** The message loadConfig stops with, or 'no error'. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  }
}

/** How long a refusal took, in ms: reading /dev/zero or a FIFO would never end. */
function timed(env: Record<string, string>): { message: string; ms: number } {
  const start = performance.now();
  const message = refusal(env);
  return { message, ms: performance.now() - start };
}

t.test(
  'the region file: a misspelled setting or a key twice stops the start, naming the file, the line and the key',
  async (t) => {
    const dir = freshDir(t);
    const file = join(dir, 'region.json');
    const base = { CICSMAIL_DATA: join(dir, 'data'), CICSMAIL_CONFIG: file };
    writeFileSync(file, '{\n  "settings": {\n    "CICSMAIL_SYSID": "PRD1",\n    "CICSMAIL_MAXTASK": 10\n  }\n}\n');
    t.equal(
      refusal(base),
      `${file}:4: settings.CICSMAIL_MAXTASK: is not a setting of the region (did you mean CICSMAIL_MAXTASKS?) (README, "Settings")`,
    );
    writeFileSync(file, '{\n  "settings": {\n    "CICSMAIL_MAXTASKS": 10,\n    "CICSMAIL_MAXTASKS": 20\n  }\n}\n');
    t.equal(refusal(base), `${file}:4: settings.CICSMAIL_MAXTASKS: is given twice`);
    // The second value breaks the schema: the key twice is said first all the same.
    writeFileSync(file, '{\n  "classes": { "B": { "maxActive": 1 }, "B": { "maxActive": 0 } }\n}\n');
    t.equal(refusal(base), `${file}:2: classes.B: is given twice`);
    writeFileSync(file, JSON.stringify({ settings: { CICSMAIL_CONFIG: 'other.json' } }));
    t.equal(refusal(base), `${file}:1: settings.CICSMAIL_CONFIG: names the region file: it has no meaning inside one`);
    writeFileSync(file, JSON.stringify({ settings: { CICSMAIL_USER: 'ADMIN:x' } }));
    t.equal(
      refusal(base),
      `${file}:1: settings.CICSMAIL_USER: is a variable of the command line, not a setting of the region`,
    );
    writeFileSync(file, JSON.stringify({ settings: { CICSMAIL_FROBNICATE: 1 } }));
    t.equal(
      refusal(base),
      `${file}:1: settings.CICSMAIL_FROBNICATE: is not a setting of the region (README, "Settings")`,
      'no suggestion where none is near',
    );
  },
);

t.test('CICSMAIL_CONFIG naming /dev/zero, a FIFO or a huge file is refused at once, by its size or kind', async (t) => {
  const dir = freshDir(t);
  const data = join(dir, 'data');
  const zero = timed({ CICSMAIL_DATA: data, CICSMAIL_CONFIG: '/dev/zero' });
  t.equal(zero.message, 'CICSMAIL_CONFIG: /dev/zero is not a regular file');
  const fifo = join(dir, 'region.fifo');
  execFileSync('mkfifo', [fifo]);
  const fromFifo = timed({ CICSMAIL_DATA: data, CICSMAIL_CONFIG: fifo });
  t.equal(fromFifo.message, `CICSMAIL_CONFIG: ${fifo} is not a regular file`, 'no wait for a writer');
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, '{}');
  truncateSync(huge, 64 * 1024 * 1024 * 1024); // sparse: no disk taken
  const fromHuge = timed({ CICSMAIL_DATA: data, CICSMAIL_CONFIG: huge });
  t.equal(
    fromHuge.message,
    `CICSMAIL_CONFIG: ${huge} is ${64 * 1024 ** 3} bytes; at most ${16 * 1024 * 1024} are read`,
  );
  t.comment(`refused in ${zero.ms.toFixed(1)}, ${fromFifo.ms.toFixed(1)} and ${fromHuge.ms.toFixed(1)} ms`);

  // A template or copybook file the region file names is read the same way.
  const file = join(dir, 'region.json');
  writeFileSync(join(dir, 'PAYS.cpy'), '       01 PS.\n          05 PS-NAME PIC X(20).\n');
  mkdirSync(join(dir, 'templates'));
  writeFileSync(
    file,
    JSON.stringify(
      {
        transactions: {
          PAYS: {
            program: 'template',
            copybook: 'PAYS.cpy',
            templates: { to: 'a@corp.example', subject: 'x', text: { file: 'templates/big.txt' } },
          },
        },
      },
      null,
      2,
    ),
  );
  const big = join(dir, 'templates', 'big.txt');
  writeFileSync(big, '');
  truncateSync(big, 5_000_000);
  t.match(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_CONFIG: file }),
    /^.*region\.json:\d+: transactions\.PAYS\.templates\.text\.file: .*big\.txt is 5000000 bytes; at most 4000000 are read$/,
  );
});

t.test('retry settings out of order are refused, naming the one at fault', async (t) => {
  const data = freshDir(t);
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_RETRY_FIRST_MS: '86400000', CICSMAIL_RETRY_MAX_MS: '10' }),
    'CICSMAIL_RETRY_MAX_MS: 10 ms, the longest wait between retries, is shorter than the first wait, CICSMAIL_RETRY_FIRST_MS 86400000 ms',
  );
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_RETRY_FIRST_MS: '600000', CICSMAIL_RETRY_LIMIT_MS: '60000' }),
    'CICSMAIL_RETRY_LIMIT_MS: 60000 ms: a mail would be given up before its first retry (CICSMAIL_RETRY_FIRST_MS 600000 ms)',
  );
  const long = loadConfig({ CICSMAIL_DATA: data, CICSMAIL_RETRY_FIRST_MS: '7200000' }).retry;
  t.same(
    [long.firstMs, long.maxMs],
    [7_200_000, 7_200_000],
    'a first wait past the default longest raises the longest',
  );
});

t.test('host names: the EHLO name and the address to listen on', async (t) => {
  const data = freshDir(t);
  const label = 'a'.repeat(63);
  const long = Array.from({ length: 20 }, () => label).join('.'); // 1,279 characters, each label valid
  t.equal(long.length, 1279);
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_HOSTNAME: long }),
    'CICSMAIL_HOSTNAME: is 1279 characters; a host name has at most 253',
  );
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_HOSTNAME: 'mail_host' }),
    "CICSMAIL_HOSTNAME: 'mail_host' is not a host name",
  );
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_HOST: 'not a host' }),
    "CICSMAIL_HOST: 'not a host' is not a host name, nor an IP address",
  );
  t.equal(loadConfig({ CICSMAIL_DATA: data, CICSMAIL_HOST: '::1' }).host, '::1');
  // An address that is not this machine's: the listener's error names the variable.
  const config = loadConfig({ CICSMAIL_DATA: freshDir(t), CICSMAIL_HOST: '192.0.2.1', CICSMAIL_PORT: '0' });
  await t.rejects(startListening(config), {
    message: /^CICSMAIL_HOST: cannot listen on 192\.0\.2\.1:0: not an address of this machine/,
  });
});

t.test('workers past the cap and MAXTASKS past the workers are refused, not made smaller without a word', async (t) => {
  const data = freshDir(t);
  const cap = Math.min(64, availableParallelism() * 4);
  const asked = Math.min(64, cap + 1);
  if (asked > cap)
    t.equal(
      refusal({ CICSMAIL_DATA: data, CICSMAIL_WORKERS: String(asked) }),
      `CICSMAIL_WORKERS: ${asked} is more than this machine runs: at most ${cap} (4 a core, ${availableParallelism()} cores)`,
    );
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_WORKERS: '1', CICSMAIL_TASKS_PER_WORKER: '8', CICSMAIL_MAXTASKS: '9' }),
    'CICSMAIL_MAXTASKS: 9 is more than the workers run at once: CICSMAIL_WORKERS 1 × CICSMAIL_TASKS_PER_WORKER 8 = 8',
  );
  t.equal(
    loadConfig({ CICSMAIL_DATA: data, CICSMAIL_WORKERS: '1', CICSMAIL_TASKS_PER_WORKER: '8', CICSMAIL_MAXTASKS: '8' })
      .maxTasks,
    8,
  );
});

t.test('a data folder that is a file, or cannot be made, is named', async (t) => {
  const dir = freshDir(t);
  const file = join(dir, 'plain');
  writeFileSync(file, 'x');
  t.equal(refusal({ CICSMAIL_DATA: file }), `CICSMAIL_DATA: ${file} is not a folder`);
  const under = join(file, 'data');
  t.equal(refusal({ CICSMAIL_DATA: under }), `CICSMAIL_DATA: cannot use ${under}: ENOTDIR`);
  // A folder the region cannot make (no one makes folders in /proc): named when it tries.
  const unmakeable = '/proc/cicsmail-test/data';
  await t.rejects(buildRegion(loadConfig({ CICSMAIL_DATA: unmakeable })), {
    message: new RegExp(`^CICSMAIL_DATA: cannot make or use the folder ${unmakeable}: `),
  });
});

t.test('TLS and CA files: each bad one named by its variable', async (t) => {
  const dir = freshDir(t);
  const data = join(dir, 'data');
  makeCerts(dir);
  const certs = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  const other = { key: join(dir, 'elsewhere.key') };
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  const env = (cert: string, key: string) => ({ CICSMAIL_DATA: data, CICSMAIL_TLS_CERT: cert, CICSMAIL_TLS_KEY: key });
  t.equal(refusal(env('/dev/zero', certs.key)), 'CICSMAIL_TLS_CERT: /dev/zero is not a regular file');
  t.match(refusal(env(garbage, certs.key)), new RegExp(`^CICSMAIL_TLS_CERT: ${garbage} holds no PEM certificate`));
  t.match(refusal(env(certs.cert, garbage)), new RegExp(`^CICSMAIL_TLS_KEY: ${garbage} holds no PEM private key`));
  t.match(
    refusal(env(certs.cert, other.key)),
    /^CICSMAIL_TLS_KEY: .* is not the key of the certificate in CICSMAIL_TLS_CERT/,
  );
  t.same(loadConfig(env(certs.cert, certs.key)).tls, { cert: certs.cert, key: certs.key });
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_SMTP_CA: '/dev/zero' }),
    'CICSMAIL_SMTP_CA: the CA file /dev/zero is not a regular file',
  );
});

t.test('recipient domains that are no domains are refused', async (t) => {
  const data = freshDir(t);
  t.equal(
    refusal({ CICSMAIL_DATA: data, CICSMAIL_RECIPIENT_DOMAINS: 'corp.example, corp example' }),
    "CICSMAIL_RECIPIENT_DOMAINS: 'corp example' is not a domain or a pattern of one (corp.example, *.corp.example)",
  );
  t.same(
    loadConfig({ CICSMAIL_DATA: data, CICSMAIL_RECIPIENT_DOMAINS: 'Corp.Example,*.corp.example' }).security
      .recipientDomains,
    ['corp.example', '*.corp.example'],
  );
});

t.test('an unknown CICSMAIL_ variable is named at start, with what it may have meant', async (t) => {
  t.same(
    unknownVariables({
      CICSMAIL_MAXTASK: '10',
      CICSMAIL_URL: 'http://x',
      CICSMAIL_PORT: '1',
      PATH: '/bin',
      CICSMAIL_ZZZZZZZZ: '',
    }),
    ['CICSMAIL_MAXTASK (did you mean CICSMAIL_MAXTASKS?)', 'CICSMAIL_ZZZZZZZZ'],
  );
  // The start command says so before it starts; a bad setting stops it with exit code 1.
  const dir = freshDir(t);
  const run = await cicsmail(['start'], {
    CICSMAIL_DATA: join(dir, 'data'),
    CICSMAIL_MAXTASK: '10',
    CICSMAIL_PORT: 'eighty',
  });
  t.equal(run.code, 1);
  t.match(
    run.stderr,
    /^WARNING: CICSMAIL_MAXTASK \(did you mean CICSMAIL_MAXTASKS\?\) is not a setting of the region; it is ignored \(README, "Settings"\)\n.*CICSMAIL_PORT: 'eighty' is not a whole number/s,
  );
});

t.test("the README's settings table and the names the region knows are the same", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Settings'), readme.indexOf('### The relay connection'));
  const documented = new Set<string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `CICSMAIL_'))) {
    const cell = row.split('|')[1] ?? '';
    // `CICSMAIL_SMTP_CONNECT_MS` / `_COMMAND_MS`: the short forms share the first one's prefix.
    const names = [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string);
    const first = (names[0] as string).split('_');
    for (const name of names) {
      const short = name.split('_').length - 1;
      documented.add(name.startsWith('CICSMAIL_') ? name : first.slice(0, first.length - short).join('_') + name);
    }
  }
  t.same([...documented].sort(), [...REGION_SETTINGS].sort());
});
