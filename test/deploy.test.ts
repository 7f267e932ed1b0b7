// The deployment files, checked offline: the Kubernetes manifests against the Kubernetes
// schemas (kubernetes-models) and against each other and the image (ports, paths, probes,
// the drain within the grace period, the SYSID a pod name gives); the HAProxy configuration
// with `haproxy -c` itself; the Dockerfile parsed (dockerfile-ast): multi-stage, a user
// that is not root, the data volume, the start command, and every path it copies there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../config/settings.js';
import { HAPROXY_CFG } from './fleet/haproxy.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

const MODELS = { ConfigMap, Service, StatefulSet, PodDisruptionBudget } as const;
type Kind = keyof typeof MODELS;

const docs = parseAllDocuments(read('deploy/kubernetes/cicsmail.yaml')).map((d) => {
  if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
  return d.toJS() as { kind: Kind; apiVersion: string; metadata: { name: string } };
});
const one = <K extends Kind>(kind: K, name?: string) => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name ?? ''}`);
  return new MODELS[kind](found[0]) as InstanceType<(typeof MODELS)[K]>;
};

const dockerfile = DockerfileParser.parse(read('deploy/Dockerfile'));
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
/** An instruction's JSON (exec) form, read as JSON. */
const execForm = (i: Instruction) => JSON.parse(i.getArgumentsContent() ?? 'null') as string[];

t.test('every manifest is valid against its Kubernetes schema', async (t) => {
  t.same(docs.map((d) => d.kind).sort(), ['ConfigMap', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
  for (const doc of docs) {
    const Model = MODELS[doc.kind];
    t.ok(Model, `${doc.kind} is a kind this test knows`);
    t.doesNotThrow(() => new Model(doc).validate(), `${doc.kind} ${doc.metadata.name}`);
  }
  // The schemas catch a wrong type: a proof that they are applied.
  const set = docs.find((d) => d.kind === 'StatefulSet') as unknown as { spec: Record<string, unknown> };
  t.throws(() => new StatefulSet({ ...set, spec: { ...set.spec, replicas: 'three' } } as never).validate(), {
    message: /replicas must be integer/,
  });
});

t.test('the StatefulSet: a volume a region, the probes, the drain within the grace period', async (t) => {
  const set = one('StatefulSet');
  const spec = set.spec!;
  const pod = spec.template.spec!;
  const container = pod.containers[0]!;
  const config = one('ConfigMap').data!;
  t.equal(spec.serviceName, 'cicsmail-regions');
  t.equal(one('Service', 'cicsmail-regions').spec?.clusterIP, 'None', 'the headless Service names the regions');
  // The volume claim per region is mounted where the image keeps its data.
  t.same(
    spec.volumeClaimTemplates?.map((v) => v.metadata?.name),
    ['data'],
  );
  t.same(container.volumeMounts?.find((m) => m.name === 'data')?.mountPath, '/data');
  const env = dockerEnv();
  t.equal(env.CICSMAIL_DATA, '/data', 'the image keeps its data there');
  // Probes on the region's own routes and port.
  t.equal(container.readinessProbe?.httpGet?.path, '/ready');
  t.equal(container.livenessProbe?.httpGet?.path, '/health');
  t.equal(container.ports?.[0]?.containerPort, Number(env.CICSMAIL_PORT));
  // The grace period holds the preStop pause, the region's drain and a margin.
  const pause = Number(container.lifecycle?.preStop?.exec?.command?.at(-1));
  const drainS = Number(config.CICSMAIL_DRAIN_TIMEOUT_MS) / 1000;
  t.ok(pause > 0 && drainS > 0);
  t.ok(
    (pod.terminationGracePeriodSeconds ?? 30) >= pause + drainS + 5,
    `grace ${pod.terminationGracePeriodSeconds} s >= pause ${pause} s + drain ${drainS} s + 5 s`,
  );
  t.equal(loadConfig({ ...config }).drainTimeoutMs, drainS * 1000, 'the region reads the drain timeout as given');
  // Not root, and the volume is the region's user's.
  t.equal(pod.securityContext?.runAsNonRoot, true);
  t.equal(pod.securityContext?.fsGroup, pod.securityContext?.runAsUser);
  // Every selector picks the pods.
  const labels = spec.template.metadata?.labels ?? {};
  const picks = (selector: Record<string, string> | undefined) =>
    Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v) && Object.keys(selector ?? {}).length > 0;
  t.ok(picks(spec.selector.matchLabels), 'the StatefulSet');
  t.ok(picks(one('PodDisruptionBudget').spec?.selector?.matchLabels), 'the PodDisruptionBudget');
  t.equal(one('PodDisruptionBudget').spec?.maxUnavailable, 1);
  for (const name of ['cicsmail', 'cicsmail-regions']) t.ok(picks(one('Service', name).spec?.selector), name);
});

t.test("a pod's name gives a SYSID the region takes", async (t) => {
  const container = one('StatefulSet').spec!.template.spec!.containers[0]!;
  const [shell, flag, script] = container.command ?? [];
  t.equal(shell, '/bin/sh');
  t.match(script, /; exec node bin\/cicsmail\.js start$/, 'node replaces the shell: it is PID 1 and takes SIGTERM');
  const cases: [string, string][] = [
    ['cicsmail-0', 'MVS0'],
    ['cicsmail-2', 'MVS2'],
    ['cicsmail-12345', 'MVS12345'],
  ];
  for (const [pod, sysid] of cases) {
    const probe = (script as string).replace(/exec node .*$/, 'echo "$CICSMAIL_SYSID"');
    const got = execFileSync('/bin/sh', [flag as string, probe], { env: { POD_NAME: pod }, encoding: 'utf8' }).trim();
    t.equal(got, sysid, pod);
    t.equal(loadConfig({ CICSMAIL_SYSID: got }).sysid, sysid);
  }
});

/** The ENV of the Dockerfile's last stage. */
function dockerEnv(): Record<string, string> {
  const stages = dockerfile.getFROMs();
  const last = stages.at(-1)!;
  const out: Record<string, string> = {};
  for (const i of dockerfile.getInstructions()) {
    if (i.getKeyword() !== 'ENV' || i.getRange().start.line < last.getRange().start.line) continue;
    for (const a of args(i)) {
      const [k, v] = a.split('=');
      if (k && v !== undefined) out[k] = v;
    }
  }
  return out;
}

t.test('the Dockerfile: multi-stage, not root, a data volume, the start command, its paths', async (t) => {
  const froms = dockerfile.getFROMs();
  t.ok(froms.length >= 2, 'multi-stage');
  t.equal(froms[0]?.getBuildStage(), 'build');
  const instructions = dockerfile.getInstructions();
  const last = froms.at(-1)!.getRange().start.line;
  const final = instructions.filter((i) => i.getRange().start.line > last);
  const kw = (k: string) => final.filter((i) => i.getKeyword() === k);
  const users = kw('USER').map((i) => args(i)[0]);
  t.ok(users.length > 0 && !['root', '0'].includes(users.at(-1) as string), `runs as ${users.at(-1)}`);
  t.same(execForm(kw('VOLUME')[0]!), ['/data']);
  t.same(execForm(kw('ENTRYPOINT')[0]!), ['node', 'bin/cicsmail.js'], 'exec form: node is PID 1, no shell');
  t.same(execForm(kw('CMD')[0]!), ['start']);
  t.same(args(kw('STOPSIGNAL')[0]!), ['SIGTERM']);
  // Every path copied from the build context is in the repository and not left out by .dockerignore.
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const copied: string[] = [];
  for (const i of instructions.filter((i) => i.getKeyword() === 'COPY')) {
    const flags = (i as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags();
    const from = flags.find((f) => f.getName() === 'from')?.getValue();
    const sources = args(i).slice(0, -1);
    if (from) {
      t.equal(from, 'build', `${sources.join(' ')} from the build stage`);
      continue;
    }
    for (const source of sources) {
      copied.push(source);
      t.ok(existsSync(`${ROOT}${source}`), `${source} exists`);
      t.notOk(
        ignored.some((p) => source === p || source.startsWith(`${p}/`)),
        `${source} is not in .dockerignore`,
      );
    }
  }
  // The build compiles every folder tsconfig.build.json includes.
  const included = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
  t.same(
    included.filter((dir) => !copied.includes(dir)),
    [],
    'every source folder copied',
  );
  t.ok(copied.includes('copybooks') && copied.includes('bin'), 'the copybooks and the command');
  t.match(read('package.json'), /"build": "tsc -p tsconfig\.build\.json"/, 'npm run build is what the image runs');
});

const noHaproxy = spawnSync('haproxy', ['-v']).status === 0 ? false : 'haproxy is not installed (.ci/run installs it)';

t.test(
  'the HAProxy configuration: haproxy -c, checks on /ready, retries only where safe',
  { skip: noHaproxy },
  async (t) => {
    const env = {
      PATH: process.env.PATH ?? '',
      CICSMAIL_REGION1: '10.0.0.1:8080',
      CICSMAIL_REGION2: '10.0.0.2:8080',
      CICSMAIL_REGION3: '10.0.0.3:8080',
      HAPROXY_SOCKET: '/tmp/cicsmail-deploy-test.sock',
    };
    const ok = spawnSync('haproxy', ['-c', '-f', HAPROXY_CFG], { env, encoding: 'utf8' });
    t.equal(ok.status, 0, ok.stderr);
    t.match(ok.stdout, /Configuration file is valid/);
    const { CICSMAIL_REGION2: _left, ...missing } = env;
    const bad = spawnSync('haproxy', ['-c', '-f', HAPROXY_CFG], { env: missing, encoding: 'utf8' });
    t.not(bad.status, 0, 'a region without an address is an error, not a server left out');
    const text = readFileSync(HAPROXY_CFG, 'utf8');
    t.match(text, /^\s+http-check send meth GET uri \/ready$/m);
    t.match(text, /^\s+http-check expect status 200$/m);
    // A POST that reached a region is sent again only with a key, and only to the region
    // that owns the key: each backend that retries more has one server and no redispatch.
    const sections = text.split(/\n(?=\S)/);
    const defaults = sections.find((sec) => sec.startsWith('defaults')) ?? '';
    t.same(
      defaults
        .split('\n')
        .filter((l) => /^\s*retry-on\b/.test(l))
        .map((l) => l.trim()),
      ['retry-on conn-failure'],
      'a POST without a key that reached a region is never sent again',
    );
    const broader = sections.filter((sec) => /^\s*retry-on .*empty-response/m.test(sec));
    t.equal(broader.length, 3, 'the three key owners retry more');
    for (const sec of broader) {
      t.match(sec, /^backend key_owner\d\n/, 'only a key owner');
      t.equal(sec.match(/^\s*server /gm)?.length, 1, 'with one region');
      t.match(sec, /^\s*option redispatch 0$/m, 'never another');
    }
    t.notMatch(text, /^\s*[^#\s].*shutdown-sessions/m, 'a region taken out finishes its tasks');
  },
);

t.test('every CICSMAIL_ setting the deployment files name is one the README documents', async (t) => {
  const documented = new Set([...read('README.md').matchAll(/^\| `(CICSMAIL_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  t.ok(documented.size > 20, 'the settings table');
  for (const file of ['deploy/haproxy/haproxy.cfg', 'deploy/Dockerfile', 'deploy/kubernetes/cicsmail.yaml']) {
    // CICSMAIL_REGION1..n are HAProxy's own variables (a region's address), not the region's settings.
    const named = [...new Set([...read(file).matchAll(/\bCICSMAIL_[A-Z0-9_]+/g)].map((m) => m[0]))].filter(
      (name) => !/^CICSMAIL_REGION\d*$/.test(name),
    );
    t.same(
      named.filter((name) => !documented.has(name)),
      [],
      `${file}: ${named.length} settings, each one a region has`,
    );
  }
});

t.test("HAProxy waits for a region longer than a task may take: docs/config.md's SEND and the hard stop", async (t) => {
  const text = readFileSync(HAPROXY_CFG, 'utf8');
  const [, seconds] = /^\s*timeout server "\$\{HAPROXY_SERVER_TIMEOUT-(\d+)s\}"$/m.exec(text) ?? [];
  t.ok(seconds, 'the server time-out, settable');
  const limits = [...read('docs/config.md').matchAll(/"timeLimitMs": (\d+)/g)].map((m) => Number(m[1]));
  const longest = Math.max(120_000, ...limits);
  t.equal(longest, 300_000, "SEND's 300 s in docs/config.md");
  const grace = loadConfig({}).hardStopGraceMs;
  t.ok(Number(seconds) * 1000 > longest + grace, `${seconds} s > ${longest / 1000} s + ${grace / 1000} s`);
  t.match(read('docs/fleet.md'), `proxy_read_timeout ${seconds}s`, "nginx's example waits as long");
});

t.test('one image tag and one port mapping: the build command, the manifest, docs/fleet.md', async (t) => {
  const { version } = JSON.parse(read('package.json')) as { version: string };
  const image = `cicsmail:${version}`;
  const dockerfileText = read('deploy/Dockerfile');
  const fleet = read('docs/fleet.md');
  const builds = [...`${dockerfileText}\n${fleet}`.matchAll(/docker build -f deploy\/Dockerfile -t (\S+) \./g)];
  t.same(
    builds.map((m) => m[1]),
    [image, image],
    'the Dockerfile and docs/fleet.md build the same tag',
  );
  t.same(
    [...read('deploy/kubernetes/cicsmail.yaml').matchAll(/image: (\S+)/g)].map((m) => m[1]),
    [image],
    'the manifest runs it',
  );
  const runs = [...`${dockerfileText}\n${fleet}`.matchAll(/-p (\d+):(\d+) (\S+)/g)].map((m) => [m[1], m[2], m[3]]);
  const port = dockerEnv().CICSMAIL_PORT;
  t.same(runs, [
    ['8081', port, image],
    ['8081', port, image],
  ]);
});
