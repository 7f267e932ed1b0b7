// One region per data folder, and a folder that is never left locked by a region that is
// gone: the lock is a socket the kernel gives back when its holder dies. Before, it was a
// pid in a file: a region restarted as the same pid (pid 1 in a container) or while its
// predecessor was a zombie refused to start, on every try. A start that fails (the port is
// taken) ends the process with one line instead of hanging with the folder locked.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BIN, startRegionProcess } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { freshDir } from '../helpers/test-like.js';
import { writeUsers } from '../helpers/users.js';

const RELAY = { CICSMAIL_RELAY: 'smtp://127.0.0.1:1' };

t.test('a second region on the same folder is refused, and says who holds it', async (t) => {
  const dir = freshDir(t);
  const first = await startRegion(t, { ...RELAY, CICSMAIL_DATA: dir });
  await t.rejects(startRegion(t, { ...RELAY, CICSMAIL_DATA: dir }), {
    code: 'CICSMAIL_CONFIG',
    message: new RegExp(
      `^CICSMAIL_DATA: another region runs on ${dir} \\(pid ${process.pid} on ${hostname()} since \\S+\\)$`,
    ),
  });
  await first.app.close();
  await startRegion(t, { ...RELAY, CICSMAIL_DATA: dir });
  t.pass('once the first has closed, the folder is free');
});

t.test('a lock note left by a region that is gone decides nothing: its own pid, or any other', async (t) => {
  for (const pid of [process.pid, 1, 4_194_000]) {
    const dir = freshDir(t);
    // What a region killed in a container leaves: the note names the pid the new one has.
    writeFileSync(join(dir, 'region.lock'), `pid ${pid} on ${hostname()} since 2026-12-01T00:00:00.000Z\n`);
    const region = await startRegion(t, { ...RELAY, CICSMAIL_DATA: dir });
    t.equal((await region.fetch('/health')).status, 200, `starts where the note names pid ${pid}`);
    await region.app.close();
  }
});

t.test('a region process killed with SIGKILL: the next one starts on its folder at once', async (t) => {
  const dir = freshDir(t);
  writeUsers(dir);
  const first = await startRegionProcess(dir, RELAY);
  const gone = new Promise((resolve) => first.child.once('exit', resolve));
  first.child.kill('SIGKILL');
  await gone;
  const second = await startRegionProcess(dir, RELAY);
  t.teardown(() => second.child.kill('SIGKILL'));
  t.equal((await fetch(`${second.url}/health`)).status, 200);
});

t.test('a port that is taken: the start ends with one line and exit code 1, and the folder is free', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as AddressInfo).port;
  const dir = freshDir(t);
  writeUsers(dir);
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'start'],
      {
        env: {
          ...process.env,
          ...RELAY,
          CICSMAIL_DATA: dir,
          CICSMAIL_PORT: String(port),
          CICSMAIL_LOG_LEVEL: 'silent',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
  t.equal(run.code, 1, 'exit code 1: it did not hang');
  t.match(
    run.stderr,
    new RegExp(
      `^cicsmail: CICSMAIL_PORT: port ${port} on 127\\.0\\.0\\.1 is taken \\(listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}\\)\\n$`,
    ),
  );
  const region = await startRegion(t, { ...RELAY, CICSMAIL_DATA: dir });
  t.equal((await region.fetch('/health')).status, 200, 'the folder was given back');
});
