// docs/fleet.md followed line by line (test/helpers/doc-examples.ts): its commands run as
// written, in order, against three real regions (SYSIDs MVSA, MVSB, MVSC) on port 0 with one
// relay: the merged journal view over "$REGIONS", a user added the way a pod adds one, and
// deploy/haproxy/haproxy.cfg checked and started with its CICSMAIL_REGION1..3 in front of the
// three, a request through it answered by a region. Docker and kubectl need a daemon and a
// cluster: those lines are read (the image's tag and ports against the Dockerfile and the
// manifest), and the one a pod runs is run here on a region's data folder.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { BIN } from '../helpers/cli.js';
import { followDoc, sh, type Check, type Run } from '../helpers/doc-examples.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { until } from '../helpers/until.js';
import { basicAuth, TESTER } from '../helpers/users.js';
import { noHaproxy } from '../fleet/haproxy.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/fleet.md'), 'utf8');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const relay = await startRelay(t);
const regions = await Promise.all(
  ['MVSA', 'MVSB', 'MVSC'].map((sysid) => startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: sysid })),
);
const [a, b, c] = regions;
if (!a || !b || !c) throw new Error('three regions');

// Mails to each region: twelve to MVSB (the page shows MVSB:12), two each to the others.
const mail = async (region: typeof a, subject: string) => {
  const res = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cics-jobname': 'FLEETDOC' },
    body: JSON.stringify({
      mc_version: '01',
      mc_from: 'batch@corp.example',
      mc_to: 'ops@corp.example',
      mc_subject: subject,
    }),
  });
  if (res.status !== 200) throw new Error(`${subject}: ${res.status} ${await res.text()}`);
};
for (const region of [a, c]) for (const n of [1, 2]) await mail(region, `mail ${n} to ${region.config.sysid}`);
for (let n = 1; n <= 12; n++) await mail(b, `mail ${n} to MVSB`);
const total = 16;
await until('every mail at the relay', () => relay.mails.length === total);

/** A free loopback port (HAProxy's bind). */
const freePort = await new Promise<number>((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(port));
  });
});

// The shell the page's commands run in: `cicsmail` on the PATH as an installed one is, the
// variables the page exports already set, HAProxy's bind and socket moved to the test's.
const cwd = t.testdir({});
writeFileSync(join(cwd, 'cicsmail'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
chmodSync(join(cwd, 'cicsmail'), 0o755);
const operPassword = 'oper-password-1';
const env: NodeJS.ProcessEnv = {
  PATH: `${cwd}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  HOME: cwd,
  CICSMAIL_USER: `${TESTER.id}:${TESTER.password}`,
  REGIONS: regions.map((r) => r.url).join(','),
  OPER_PASSWORD: operPassword,
  ...Object.fromEntries(regions.map((r, i) => [`CICSMAIL_REGION${i + 1}`, r.url.replace('http://', '')])),
  HAPROXY_BIND: `127.0.0.1:${freePort}`,
  HAPROXY_SOCKET: join(cwd, 'admin.sock'),
};

/** CSV read by Python's csv module, an independent reader. */
const csvRows = (bytes: Buffer) =>
  JSON.parse(
    spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import csv,io,json,sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.buffer.read().decode("utf-8-sig"))))))',
      ],
      { input: bytes, encoding: 'utf8' },
    ).stdout,
  ) as Record<string, string>[];

const ok = (t: Test, run: Run) => t.equal(run.code, 0, run.stderr);
const lines = (run: Run) => run.stdout.toString('utf8').trimEnd().split('\n');

/** The Dockerfile's ENV and EXPOSE of its last stage. */
function image(): { env: Record<string, string>; expose: string[] } {
  const text = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const last = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const m of last.matchAll(/^ENV\s+(.+)$/gm))
    for (const pair of (m[1] ?? '').trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) env[k] = v;
    }
  const expose = [...last.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((m) => (m[1] ?? '').trim().split(/\s+/));
  return { env, expose };
}

/** HAProxy run as the page runs it, in the foreground: requests through it, then SIGUSR1, its soft stop. */
async function runHaproxy(t: Test, command: string): Promise<Run> {
  const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  const pid = child.pid as number;
  let running = true;
  void exited.then(() => (running = false));
  t.teardown(() => {
    if (running) process.kill(-pid, 'SIGKILL');
  });
  // Each region answers through it: /ready, with the SYSID of the region that answered.
  const through = `http://127.0.0.1:${freePort}`;
  const seen = new Set<string>();
  const deadline = Date.now() + 60_000;
  while (seen.size < 3 && Date.now() < deadline && running) {
    const res = await fetch(`${through}/ready`).catch(() => undefined);
    const sysid = res?.headers.get('x-cics-sysid');
    if (res?.status === 200 && sysid) seen.add(sysid);
    else await new Promise((r) => setTimeout(r, 100));
  }
  t.same([...seen].sort(), ['MVSA', 'MVSB', 'MVSC'], 'HAProxy sends to each of its three regions');
  const res = await fetch(`${through}/journal?limit=1`, {
    headers: { authorization: basicAuth(TESTER.id, TESTER.password) },
  });
  t.equal(res.status, 200, 'a journal page through the balancer');
  process.kill(pid, 'SIGUSR1');
  const code = await exited;
  return { code, stdout: Buffer.concat(out), stderr: err };
}

const CHECKS: Check[] = [
  { starts: 'export CICSMAIL_USER=OPER:…', skip: 'set: a user every region knows, with its password' },
  { starts: 'export REGIONS=', skip: "set: the three regions' URLs" },
  {
    starts: 'cicsmail journal list  --url "$REGIONS"',
    check: (t, run) => {
      ok(t, run);
      const refs = lines(run).map((l) => /\b(MVS[ABC]:\d+)\b/.exec(l)?.[1]);
      t.equal(refs.filter(Boolean).length, total, 'a line a record, of every region');
      t.same(
        ['MVSA', 'MVSB', 'MVSC'].map((s) => refs.filter((r) => r?.startsWith(`${s}:`)).length),
        [2, 12, 2],
      );
    },
  },
  {
    starts: 'cicsmail journal show  MVSB:12',
    check: (t, run) => {
      ok(t, run);
      t.match(run.stdout.toString('utf8'), /mail 12 to MVSB/);
      t.match(run.stdout.toString('utf8'), /MVSB/);
    },
  },
  {
    starts: 'cicsmail journal stats --url "$REGIONS"',
    check: (t, run) => {
      ok(t, run);
      const text = run.stdout.toString('utf8');
      t.match(text, new RegExp(`\\b${total}\\b`), 'the sum');
      for (const sysid of ['MVSA', 'MVSB', 'MVSC']) t.match(text, sysid, `${sysid} in byRegion`);
    },
  },
  {
    starts: 'cicsmail journal export --url "$REGIONS" --format csv',
    check: (t, run) => {
      ok(t, run);
      const rows = csvRows(run.stdout);
      t.equal(rows.length, total, 'a row a record');
      t.same([...new Set(rows.map((r) => r.sysid))].sort(), ['MVSA', 'MVSB', 'MVSC'], 'the sysid column');
    },
  },
  {
    starts: 'cicsmail journal replay MVSB:12',
    check: async (t, run) => {
      ok(t, run);
      await until('the replayed mail', () => relay.mails.length === total + 1);
      const id = (m: Buffer) => /^Message-ID: (.*)$/im.exec(m.toString('latin1'))?.[1];
      const replayed = relay.mails.at(-1)?.message as Buffer;
      t.match(replayed.toString('latin1'), /Subject: mail 12 to MVSB/);
      t.equal(
        relay.mails.filter((m) => id(m.message) === id(replayed)).length,
        2,
        'sent again by MVSB with the same Message-ID',
      );
    },
  },
  {
    starts: 'docker build -f deploy/Dockerfile -t cicsmail:',
    skip: 'needs a Docker daemon; test/deploy.test.ts reads the Dockerfile',
    inspect: (t, command) => {
      t.match(command, ` -t cicsmail:${version} .`, "tagged with package.json's version");
      const manifest = readFileSync(join(root, 'deploy/kubernetes/cicsmail.yaml'), 'utf8');
      t.same(
        [...manifest.matchAll(/image: (\S+)/g)].map((m) => m[1]),
        [`cicsmail:${version}`],
        'the image the manifest runs',
      );
      t.match(
        readFileSync(join(root, 'deploy/Dockerfile'), 'utf8'),
        `-t cicsmail:${version} .`,
        "the Dockerfile's own build line",
      );
    },
  },
  { starts: 'docker volume create mvsa-data', skip: 'needs a Docker daemon' },
  {
    starts: 'docker run -d --name mvsa',
    skip: 'needs a Docker daemon',
    inspect: (t, command) => {
      const { env: imageEnv, expose } = image();
      const [, host, inside] = /-p (\d+):(\d+)/.exec(command) ?? [];
      t.equal(inside, imageEnv.CICSMAIL_PORT, "the container port is the image's CICSMAIL_PORT");
      t.same(expose, [inside], 'and the port it exposes');
      t.equal(host, '8081', 'published beside a region of npm start on 8080');
      t.match(command, `-v mvsa-data:/data`);
      t.equal(imageEnv.CICSMAIL_DATA, '/data', 'the volume is where the image keeps its data');
      t.match(command, / cicsmail:[\d.]+$/);
      t.match(command, ` cicsmail:${version}`, 'the tag that was built');
      const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
      t.match(dockerfile, `-p ${host}:${inside} cicsmail:${version}`, "the Dockerfile's own run line");
    },
  },
  { starts: 'docker logs mvsa', skip: 'needs a Docker daemon; test/region/front-door.test.ts checks the first start' },
  {
    starts: `printf '%s\\n' "$OPER_PASSWORD" | kubectl exec -i cicsmail-0 -- node bin/cicsmail.js user add OPER`,
    // No cluster here: the command the pod runs, in the project folder as the image's, on MVSB's data folder.
    run: (t, command) => {
      const inPod = command.replace('kubectl exec -i cicsmail-0 -- ', '');
      t.not(inPod, command, 'the command the pod runs');
      return sh(inPod, root, { ...env, CICSMAIL_DATA: b.config.dataDir });
    },
    check: async (t, run) => {
      ok(t, run);
      const as = (password: string) =>
        b.fetch('/journal?limit=1', { headers: { authorization: basicAuth('OPER', password) } });
      let status = 0;
      const end = Date.now() + 15_000;
      while (status !== 200 && Date.now() < end) {
        status = (await as(operPassword)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      t.equal(status, 200, 'MVSB takes OPER, the password from standard input, without a restart');
      t.equal((await as('wrong-password')).status, 401);
    },
  },
  {
    starts: 'export CICSMAIL_REGION1=',
    skip: "set: the three regions' addresses (and HAPROXY_BIND, HAPROXY_SOCKET: the test's port and socket)",
  },
  {
    starts: 'haproxy -c -f deploy/haproxy/haproxy.cfg',
    instead: `cd '${root}' && haproxy -c -f deploy/haproxy/haproxy.cfg`,
    check: (t, run) => void ok(t, run),
  },
  {
    starts: 'haproxy -f deploy/haproxy/haproxy.cfg',
    run: (t, command) => runHaproxy(t, `cd '${root}' && exec ${command.replace(/\s+#.*$/, '')}`),
    check: (t, run) => void t.equal(run.code, 0, `haproxy's soft stop ends it with 0: ${run.stderr}`),
  },
];

t.test('every shell example of docs/fleet.md runs as written and answers as the page says', async (t) => {
  const skipHaproxy = noHaproxy();
  const checks = skipHaproxy
    ? CHECKS.map((c) => (c.starts.includes('haproxy') ? { starts: c.starts, skip: skipHaproxy } : c))
    : CHECKS;
  await followDoc(t, { text: doc, cwd, env, checks });
});
