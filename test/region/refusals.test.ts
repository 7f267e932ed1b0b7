// Every refusal carries its RESP: the body {resp, resp2, abcode, message} and X-CICS-Resp,
// also where fastify or Node would answer on their own (a form body, headers past 16 KiB,
// a request that is no HTTP, a route that does not exist, a region that drains). Refusals
// before a task are counted in /metrics by RESP; a caller that goes away mid-request is
// logged at info, once, without a stack.
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth } from '../helpers/users.js';
import { defaultDefinitions } from '../../region/definitions.js';
import { buildMailCommarea } from '../../client/mailca.js';

const hold = new URL('../fixtures/programs/hold.ts', import.meta.url).href;

interface Answer {
  status: number;
  resp: string | null;
  body: { resp?: string; resp2?: number; abcode?: string | null; message?: string };
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  return {
    status: res.status,
    resp: res.headers.get('x-cics-resp'),
    body: text ? (JSON.parse(text) as Answer['body']) : {},
  };
}

/** Raw bytes to the region on a connection of their own; what came back, once it closed. */
function raw(url: string, bytes: string | Buffer): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

/** The status line, headers (lower-case names) and JSON body of one raw HTTP answer. */
function parseRaw(text: string): { status: number; headers: Record<string, string>; body: Answer['body'] } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [line = '', ...fields] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const f of fields) {
    const i = f.indexOf(':');
    headers[f.slice(0, i).toLowerCase()] = f.slice(i + 1).trim();
  }
  return { status: Number(line.split(' ')[1]), headers, body: body ? (JSON.parse(body) as Answer['body']) : {} };
}

const mail = buildMailCommarea({ from: 'tester@corp.example', to: 'ops@corp.example', subject: 'refusals' }, 37);

t.test('a form body (curl -d) is refused as CICS_MEDIA_TYPE, saying what is taken', async (t) => {
  const region = await startRegion(t);
  for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
    const a = await answerOf(
      await region.fetch('/cics/MAIL', { method: 'POST', headers: { 'content-type': type }, body: 'mc_to=x' }),
    );
    t.same(
      a,
      {
        status: 415,
        resp: 'INVREQ',
        body: {
          resp: 'INVREQ',
          resp2: 4,
          abcode: null,
          message: `Content-Type '${type}' is not accepted here: send the COMMAREA as application/octet-stream, its JSON view as application/json, or a channel as multipart/form-data`,
        },
      },
      type,
    );
  }
  const operators = await answerOf(
    await region.fetch('/journal/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'mode=redeliver',
    }),
  );
  t.equal(operators.status, 415);
  t.equal(operators.resp, 'INVREQ');
  t.equal(
    operators.body.message,
    "Content-Type 'application/x-www-form-urlencoded' is not accepted here: send application/json",
  );
});

t.test('HTTP that Node refuses before fastify: RESP body and X-CICS-Resp', async (t) => {
  const region = await startRegion(t);
  const big = parseRaw(
    await raw(
      region.url,
      `POST /cics/MAIL HTTP/1.1\r\nHost: x\r\nAuthorization: ${region.auth}\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
    ),
  );
  t.equal(big.status, 431, 'headers past 16 KiB: 431');
  t.equal(big.headers['x-cics-resp'], 'INVREQ');
  t.equal(big.headers.connection, 'close');
  t.same(big.body, {
    resp: 'INVREQ',
    resp2: 0,
    abcode: null,
    message: 'the request headers are longer than 16 KiB together',
  });
  const garbage = parseRaw(await raw(region.url, 'HELLO THERE\r\n\r\n'));
  t.equal(garbage.status, 400, 'no HTTP: 400');
  t.equal(garbage.headers['x-cics-resp'], 'INVREQ');
  t.match(garbage.body.message, /^the request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)$/);
  const metrics = await (await region.fetch('/metrics')).text();
  t.match(metrics, /^cicsmail_refusals_total\{resp="INVREQ",status="431",sysid="CICSMAIL"\} 1$/m, '431 counted');
  t.match(metrics, /^cicsmail_refusals_total\{resp="INVREQ",status="400",sysid="CICSMAIL"\} 1$/m, '400 counted');
});

t.test('not found: NOTFND for a route, a journal record, a captured mail', async (t) => {
  const region = await startRegion(t);
  const cases: [string, string][] = [
    ['/nothing/here', 'no route GET /nothing/here; transactions run as POST /cics/{TRANID}'],
    ['/journal/12345', 'no journal record 12345'],
    ['/journal/12345/message', 'no journal record 12345'],
    ['/captured/999', "no captured mail '999'"],
  ];
  for (const [path, message] of cases) {
    t.same(
      await answerOf(await region.fetch(path)),
      { status: 404, resp: 'NOTFND', body: { resp: 'NOTFND', resp2: 0, abcode: null, message } },
      path,
    );
  }
  const limit = await answerOf(await region.fetch('/captured?limit=0'));
  t.same([limit.status, limit.resp, limit.body.resp2], [400, 'INVREQ', 1], 'a bad limit: INVREQ');
  const filter = await answerOf(await region.fetch('/journal?state=NOPE'));
  t.same([filter.status, filter.resp], [400, 'INVREQ'], 'a bad filter: INVREQ');
});

t.test('refusals before a task are counted by RESP; tasks are not counted twice', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const expect = async (res: Promise<Response>, status: number) => t.equal((await res).status, status);
  await expect(region.post('NOPE', mail), 404);
  await expect(region.post('MAIL', mail, { authorization: basicAuth('TESTER', 'wrong-password') }), 401);
  await expect(region.post('MAIL', mail, { authorization: basicAuth('NOBODY', 'wrong-password') }), 401);
  await expect(region.post('MAIL', Buffer.alloc(40_000, 0x40)), 413);
  await expect(region.post('MAIL', mail), 200);
  await expect(region.post('MAIL', mail.subarray(0, 10)), 400); // the program's LENGERR: a task ran
  const text = await (await region.fetch('/metrics')).text();
  const refusals = text
    .split('\n')
    .filter((l) => l.startsWith('cicsmail_refusals_total{'))
    .sort();
  t.same(refusals, [
    'cicsmail_refusals_total{resp="LENGERR",status="413",sysid="CICSMAIL"} 1',
    'cicsmail_refusals_total{resp="NOTAUTH",status="401",sysid="CICSMAIL"} 2',
    'cicsmail_refusals_total{resp="TRANSIDERR",status="404",sysid="CICSMAIL"} 1',
  ]);
  t.match(
    text,
    /^cicsmail_tasks_total\{tranid="MAIL",resp="LENGERR",sysid="CICSMAIL"\} 1$/m,
    'the task that ran: by its end',
  );
});

t.test('a caller that goes away mid-request: one info line, no stack, counted', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const region = await startRegion(t, {}, { logger: { level: 'info', stream } });
  const { port } = new URL(region.url);
  const CALLERS = 20;
  // Each sends its headers and (half of them) part of its body, and goes away: Node tells
  // the region either before fastify has the request or as the request's error.
  await Promise.all(
    Array.from(
      { length: CALLERS },
      (_, n) =>
        new Promise<void>((resolve) => {
          const socket = connect(Number(port), '127.0.0.1', () => {
            socket.write(
              `POST /cics/MAIL HTTP/1.1\r\nHost: x\r\nAuthorization: ${region.auth}\r\n` +
                `Content-Type: application/octet-stream\r\nContent-Length: ${mail.length}\r\n\r\n`,
            );
            socket.write(mail.subarray(0, n % 2 === 0 ? 100 : 0), () => setImmediate(() => socket.destroy()));
          });
          socket.on('close', () => resolve());
        }),
    ),
  );
  // The region hears of each close on its own time: wait for the count (at most 10 s, far
  // past the milliseconds it takes), not a fixed time.
  let abandoned = 0;
  for (let tries = 0; tries < 500 && abandoned < CALLERS; tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 20));
    const text = await (await region.fetch('/metrics')).text();
    abandoned = Number(/^cicsmail_requests_abandoned_total\{sysid="CICSMAIL"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  t.equal(abandoned, CALLERS, 'each counted');
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
  const gone = logged.filter((l) => l.msg === 'the caller went away before its request was read');
  t.equal(gone.length, CALLERS, 'one line each');
  t.same(
    gone.filter((l) => l.level !== 30 || l.err !== undefined),
    [],
    'at info, with no error or stack',
  );
  t.same(
    logged.filter((l) => l.level >= 40),
    [],
    'nothing at warn or above',
  );
});

t.test('a draining region: /ready says so at once, new requests get SYSIDERR', async (t) => {
  const dir = freshDir(t);
  const region = await startRegion(
    t,
    { CICSMAIL_WORKERS: '1' },
    {
      definitions: [
        ...defaultDefinitions(),
        { tranid: 'HOLD', program: hold, enabled: true, timeLimitMs: 60_000, description: 'hold' },
      ],
    },
  );
  const { port } = new URL(region.url);
  const request = (method: string, path: string, body: Uint8Array = new Uint8Array(0)) =>
    Buffer.concat([
      Buffer.from(
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${region.auth}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]);
  // A connection busy with a held task (so the drain keeps it), on which a second request
  // comes once the drain has begun: a load balancer's kept-alive connection. (The first
  // answer during the drain closes the connection, so one such request a connection.)
  const busy = async (n: number) => {
    const latch = join(dir, `latch-${n}`);
    const socket = connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(request('POST', '/cics/HOLD', Buffer.from(latch)));
    while (!existsSync(`${latch}.started`)) await new Promise((r) => setTimeout(r, 10));
    return {
      send: (bytes: Uint8Array) => socket.write(bytes),
      release: () => writeFileSync(latch, 'go'),
      answers: async () => {
        await closed;
        return Buffer.concat(received)
          .toString('latin1')
          .split(/(?=HTTP\/1\.1 )/)
          .map((a) => ({
            status: Number(a.slice(9, 12)),
            resp: /^x-cics-resp: (\S+)/im.exec(a)?.[1] ?? null,
            body: a.slice(a.indexOf('\r\n\r\n') + 4),
          }));
      },
    };
  };
  const connections = [await busy(1), await busy(2), await busy(3)];
  const closing = region.app.close();
  // Draining from close's first hook on, before the listener stops.
  while (!region.app.draining) await new Promise((r) => setImmediate(r));
  const [mailing, readiness, health] = connections as [
    Awaited<ReturnType<typeof busy>>,
    ...Awaited<ReturnType<typeof busy>>[],
  ];
  mailing.send(request('POST', '/cics/MAIL', mail));
  readiness?.send(request('GET', '/ready'));
  health?.send(request('GET', '/health'));
  for (const c of connections) c.release();
  await closing;
  const [m, r, h] = await Promise.all(connections.map((c) => c.answers()));
  t.same(
    m?.map((a) => [a.status, a.resp]),
    [
      [200, 'NORMAL'],
      [503, 'SYSIDERR'],
    ],
    'the held task ends; a MAIL after it is refused',
  );
  t.same(JSON.parse(m?.[1]?.body ?? ''), {
    resp: 'SYSIDERR',
    resp2: 0,
    abcode: null,
    message:
      'region CICSMAIL is draining (shutting down) and takes no new requests: send to another region, or again once it has restarted',
  });
  t.same(
    r?.[1] && { ...r[1], body: JSON.parse(r[1].body) as unknown },
    { status: 503, resp: null, body: { status: 'not ready', reason: 'the region is draining', journalBacklog: 0 } },
    '/ready: 503, draining',
  );
  t.same(
    h?.[1] && { ...h[1], body: JSON.parse(h[1].body) as unknown },
    { status: 200, resp: null, body: { status: 'alive' } },
    '/health: alive',
  );
});
