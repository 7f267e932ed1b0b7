// What must stay secret (issue 7): the users file never holds a clear password, and the
// region's log, at its most talkative level, never holds a password (right or wrong), an
// Authorization header or a mail body, whatever the task does: sent, refused, failed.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { freshDir } from '../../helpers/test-like.js';
import { basicAuth, TESTER } from '../../helpers/users.js';
import { buildRegion } from '../../../region/app.js';
import { codePage } from '../../../cics/codepages.js';
import { defaultDefinitions } from '../../../region/definitions.js';
import { loadConfig } from '../../../config/settings.js';
import { USERS_FILE } from '../../../users/users-file.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import { leaks, memoryLog } from '../../helpers/secrets.js';

const cp = codePage(37);

t.test('the users file holds hashes, never a password', async (t) => {
  const users = [
    { id: 'PLAIN1', password: 'Plain-Secret-4711' },
    { id: 'UNI1', password: 'Pässwörd-ünïcødé-日本' },
    { id: 'JSON1', password: 'quote"back\\slash\'tick$dollar' },
    { id: 'LONG1', password: 'L'.repeat(150) + '-long-secret-' + 'g'.repeat(37) },
    { id: 'ADM1', password: 'admin-secret-0815', admin: true, transactions: ['*'], senders: ['*'] },
  ];
  const region = await startRegion(t, {}, { users });
  const file = join(region.config.dataDir, USERS_FILE);
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const secrets = Object.fromEntries([...users, TESTER].map((u) => [`${u.id}'s password`, u.password]));
  t.same(leaks(text, secrets), [], 'no password in any form');
  t.same(leaks(bytes.toString('latin1'), secrets), [], 'nor in its bytes read as Latin-1');
  const parsed = JSON.parse(text) as { users: { id: string; hash: string }[] };
  t.same(parsed.users.map((u) => u.id).sort(), ['ADM1', 'JSON1', 'LONG1', 'PLAIN1', TESTER.id, 'UNI1']);
  for (const u of parsed.users)
    t.match(
      u.hash,
      /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/,
      `${u.id}: an scrypt hash with its salt`,
    );
  t.equal(
    new Set(parsed.users.map((u) => u.hash.split('$')[4])).size,
    parsed.users.length,
    'each with a salt of its own',
  );
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  // The passwords still work: the file holds what checks them.
  for (const u of users) {
    const res = await region.fetch('/cics/MAIL', {
      method: 'POST',
      headers: { authorization: basicAuth(u.id, u.password), 'content-type': 'application/octet-stream' },
      body: new Uint8Array(0),
    });
    t.equal(res.status, 400, `${u.id} authenticates (and gets LENGERR for the empty COMMAREA)`);
  }
});

t.test(
  'a first start makes an administrator whose password is printed once: not in the file, not in the log',
  async (t) => {
    const log = memoryLog();
    const dataDir = freshDir(t);
    const config = loadConfig({
      CICSMAIL_DATA: dataDir,
      CICSMAIL_PORT: '0',
      CICSMAIL_WORKERS: '1',
      CICSMAIL_HOSTNAME: 'region.test',
    });
    const app = await buildRegion(config, { logger: { level: 'trace', stream: log.stream } });
    t.teardown(() => app.close());
    const admin = app.security.createdAdmin;
    if (!admin) throw new Error('no administrator was made');
    const res = await app.inject({
      method: 'GET',
      url: '/journal',
      headers: { authorization: basicAuth(admin.id, admin.password) },
    });
    t.equal(res.statusCode, 200, 'the printed password works');
    const secrets = {
      "the administrator's password": admin.password,
      'its Authorization header': basicAuth(admin.id, admin.password),
    };
    t.same(leaks(readFileSync(join(dataDir, USERS_FILE), 'utf8'), secrets), [], 'not in the users file');
    t.same(leaks(log.text(), secrets), [], 'not in the log');
  },
);

t.test('the log at level trace: no password, Authorization header or mail body, whatever the tasks do', async (t) => {
  const relay = await startRelay(t);
  const log = memoryLog();
  const USER = { id: 'SECRET1', password: 'Right-Pa55word-Kumquat' };
  const WRONG = 'Wr0ng-Pa55word-Zebra';
  const region = await startRegion(
    t,
    { CICSMAIL_RELAY: relay.url, CICSMAIL_RECIPIENT_DOMAINS: 'corp.example', CICSMAIL_MAX_RECIPIENTS: '5' },
    {
      users: [{ ...USER, transactions: ['MAIL', 'SEND', 'SPOL', 'THRW'], senders: ['batch@corp.example'] }],
      logger: { level: 'trace', stream: log.stream },
      // A program that throws: the one failure the region logs (ASRA, with the error and its stack).
      definitions: [
        ...defaultDefinitions(),
        {
          tranid: 'THRW',
          program: new URL('../../fixtures/programs/throw.ts', import.meta.url).href,
          enabled: true,
          timeLimitMs: 5000,
          description: 'throws',
        },
      ],
    },
  );
  const auth = basicAuth(USER.id, USER.password);
  const as = (authorization: string) => ({ authorization, 'x-cics-jobname': 'PAYROLL1' });
  const BODY = {
    mail: 'Mail-Body-Marker-Aubergine salary 123456',
    send: 'Send-Body-Marker-Brontosaurus salary 234567',
    spool: 'Spool-Body-Marker-Cassowary salary 345678',
    refused: 'Refused-Body-Marker-Dromedary salary 456789',
    lengerr: 'Lengerr-Body-Marker-Echidna salary 567890',
    tooMany: 'TooMany-Body-Marker-Flamingo salary 678901',
    ctlchar: 'CtlChar-Body-Marker-Gazelle salary 789012',
    json: 'Json-Body-Marker-Hedgehog salary 890123',
    asra: 'Asra-Body-Marker-Ibex salary 901234',
  };
  const SUBJECT = 'Subject-Marker-Quokka';
  const lines = (l: readonly string[]) => cp.encode(l.map((x) => `${x}\u0085`).join(''));
  const mail = (from: string, to: string, body: string) => buildMailCommarea({ from, to, subject: SUBJECT, body }, 37);
  const rcOf = async (res: Response) => readMailResponse(Buffer.from(await res.arrayBuffer()), 37);

  // Sent, by MAIL, SEND and SPOL; also as TESTER, the administrator.
  t.match(
    await rcOf(await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example', BODY.mail), as(auth))),
    { rc: 0 },
    'MAIL sent',
  );
  t.match(
    await rcOf(await region.post('MAIL', mail('anyone@corp.example', 'ops@corp.example', BODY.mail), as(region.auth))),
    { rc: 0 },
    'MAIL sent as TESTER',
  );
  const send = await region.post(
    'SEND',
    lines([
      'FROM batch@corp.example',
      'TO ops@corp.example',
      `SUBJECT ${SUBJECT}`,
      'TEXT',
      BODY.send,
      'ENDTEXT',
      'SEND',
    ]),
    as(auth),
  );
  t.equal(send.headers.get('x-mail-rc'), '0', 'SEND sent');
  const spool = await region.post(
    'SPOL',
    lines([
      'HELO jobs',
      'MAIL FROM:<batch@corp.example>',
      'RCPT TO:<ops@corp.example>',
      'DATA',
      'From: batch@corp.example',
      `Subject: ${SUBJECT}`,
      '',
      BODY.spool,
      '.',
      'QUIT',
    ]),
    as(auth),
  );
  t.equal(spool.headers.get('x-mail-rc'), '0', 'SPOL sent');
  // Refused: RC 16 for the sender (MAIL, SEND, SPOL), RC 8 for the limits and a control character.
  t.match(
    await rcOf(await region.post('MAIL', mail('ceo@corp.example', 'ops@corp.example', BODY.refused), as(auth))),
    { rc: 16, reason: 'SENDER' },
    'MAIL refused',
  );
  const sendRefused = await region.post(
    'SEND',
    lines(['FROM ceo@corp.example', 'TO ops@corp.example', 'TEXT', BODY.refused, 'ENDTEXT']),
    as(auth),
  );
  t.equal(sendRefused.headers.get('x-mail-rc'), '16', 'SEND refused');
  const spoolRefused = await region.post(
    'SPOL',
    lines([
      'MAIL FROM:<batch@corp.example>',
      'RCPT TO:<ops@corp.example>',
      'DATA',
      'From: ceo@corp.example',
      '',
      BODY.refused,
      '.',
    ]),
    as(auth),
  );
  t.equal(spoolRefused.headers.get('x-mail-rc'), '16', 'SPOL refused (From header)');
  t.match(
    await rcOf(
      await region.post(
        'MAIL',
        mail(
          'batch@corp.example',
          'a@corp.example b@corp.example c@corp.example d@corp.example e@corp.example f@corp.example',
          BODY.tooMany,
        ),
        as(auth),
      ),
    ),
    { rc: 8, reason: 'TOOMANY' },
  );
  t.match(
    await rcOf(
      await region.post(
        'MAIL',
        buildMailCommarea(
          {
            from: 'batch@corp.example',
            to: 'ops@corp.example',
            subject: `${SUBJECT}\rBcc: evil@evil.example`,
            body: BODY.ctlchar,
          },
          37,
        ),
        as(auth),
      ),
    ),
    { rc: 8, reason: 'CTLCHAR' },
  );
  // Failed: LENGERR (a COMMAREA cut short; MC-BODY-LEN past its end), INVREQ (a JSON view that does not fit).
  const full = mail('batch@corp.example', 'ops@corp.example', BODY.lengerr);
  t.equal(
    (await region.post('MAIL', full.subarray(0, 4000), as(auth))).headers.get('x-cics-resp'),
    'LENGERR',
    'LENGERR: short',
  );
  t.equal(
    (await region.post('MAIL', full.subarray(0, full.length - 5), as(auth))).headers.get('x-cics-resp'),
    'LENGERR',
    'LENGERR: MC-BODY-LEN past the end',
  );
  const json = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { ...as(auth), 'content-type': 'application/json' },
    body: JSON.stringify({
      mc_version: '01',
      mc_from: 'batch@corp.example',
      mc_to: 'ops@corp.example',
      mc_body: BODY.json,
      mc_unknown: BODY.json,
    }),
  });
  t.equal(json.headers.get('x-cics-resp'), 'INVREQ', 'INVREQ: a JSON view with an unknown property');
  const badJson = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { ...as(auth), 'content-type': 'application/json' },
    body: `{"mc_body": "${BODY.json}", `,
  });
  t.equal(badJson.status, 400, 'a JSON view that does not parse');
  const asra = await region.post('THRW', mail('batch@corp.example', 'ops@corp.example', BODY.asra), as(auth));
  t.equal(asra.headers.get('x-cics-abcode'), 'ASRA', 'ASRA: the program threw');
  // Not let in: a wrong password, an unknown user, a password where the user id goes, no Basic.
  const wrong = basicAuth(USER.id, WRONG);
  t.equal(
    (await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example', BODY.mail), as(wrong))).status,
    401,
    'wrong password',
  );
  t.equal(
    (await region.post('SEND', lines(['TO ops@corp.example']), as(basicAuth('NOBODY', WRONG)))).status,
    401,
    'unknown user',
  );
  t.equal(
    (await region.post('SPOL', lines(['QUIT']), as(basicAuth(WRONG, USER.password)))).status,
    401,
    'a password as the user id',
  );
  t.equal((await region.post('MAIL', new Uint8Array(0), as(`Bearer ${WRONG}`))).status, 401, 'not Basic');
  t.equal((await region.fetch('/journal', { headers: as(auth) })).status, 403, "an administrator's route");
  t.equal(
    (await region.fetch('/journal?limit=5', { headers: as(region.auth) })).status,
    200,
    'the journal, as the administrator',
  );
  t.equal(relay.mails.length, 4, 'the four good mails went');
  // Let the last lines reach the stream.
  await new Promise((resolve) => setTimeout(resolve, 200));

  const text = log.text();
  if (process.env.SECRETS_DEBUG) console.error(text);
  const entries = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { msg?: string; tranid?: string; level: number });
  t.equal(
    entries.filter((e) => e.msg === 'task').length,
    12,
    `the log is not empty: ${entries.length} lines, one for each task that ran`,
  );
  t.equal(entries.filter((e) => e.msg === 'task failed' && e.level === 50).length, 1, 'and the ASRA with its error');
  const secrets: Record<string, string> = {
    [`${USER.id}'s password`]: USER.password,
    "TESTER's password": TESTER.password,
    'the wrong password': WRONG,
    [`${USER.id}'s Authorization header`]: auth,
    "TESTER's Authorization header": region.auth,
    'the wrong Authorization header': wrong,
    ...Object.fromEntries(Object.entries(BODY).map(([k, v]) => [`the ${k} body`, v])),
  };
  t.same(leaks(text, secrets), [], 'no secret in the log in any form');
  t.same(
    leaks(relay.mails.map((m) => m.message.toString('utf8')).join('\n'), {
      'a password': USER.password,
      'an Authorization header': auth,
    }),
    [],
    'nor in the mails sent',
  );
  t.comment(`${entries.length} log lines; the subject is ${text.includes(SUBJECT) ? '' : 'not '}in the log`);
});
