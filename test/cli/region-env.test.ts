// Every command that talks to a region finds it as the README says: --url, else CICSMAIL_URL,
// else 127.0.0.1 on CICSMAIL_PORT; CICSMAIL_URL set blank counts as unset, and an address
// that is none is a usage error naming where it came from.
import t from 'tap';
import { cicsmail } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { TESTER } from '../helpers/users.js';

const region = await startRegion(t);
const port = new URL(region.url).port;
const byPort = {
  CICSMAIL_URL: '',
  CICSMAIL_PORT: port,
  CICSMAIL_USER: `${TESTER.id}:${TESTER.password}`,
  CICSMAIL_DATA: region.config.dataDir,
};
const statements = 'FROM batch@corp.example\nTO ops@corp.example\nSUBJECT by port\nTEXT\nhi\nENDTEXT\n';

t.test('send, cemt and journal replay --redrive on the region at CICSMAIL_PORT', async (t) => {
  const send = await cicsmail(['send'], byPort, statements);
  t.equal(send.code, 0, send.stderr);
  t.match(send.stdout, /^RC=00 SEQ=1 /);

  const cemt = await cicsmail(['cemt', 'inquire', 'transaction', 'SEND'], byPort);
  t.equal(cemt.code, 0, cemt.stderr);
  t.match(cemt.stdout, /^SEND\s+enabled/m);

  const redrive = await cicsmail(['journal', 'replay', '--redrive', '--tranid', 'SEND'], byPort);
  t.equal(redrive.code, 0, redrive.stderr);
  t.match(redrive.stdout, `redrive of 1 tasks on ${region.url}: 1 the same, 0 different`);
});

t.test('an address that is none: the usage error names --url, CICSMAIL_URL or CICSMAIL_PORT', async (t) => {
  t.same(await cicsmail(['cemt', 'inquire', 'system', '--url', 'mvs1'], byPort), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --url 'mvs1' is not a URL\n",
  });
  t.same(await cicsmail(['cemt', 'inquire', 'system'], { ...byPort, CICSMAIL_URL: 'ftp://mvs1' }), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: CICSMAIL_URL 'ftp://mvs1' is not an http:// or https:// URL\n",
  });
  t.same(await cicsmail(['send'], { ...byPort, CICSMAIL_PORT: 'x' }, statements), {
    code: 20,
    stdout: '',
    stderr: "cicsmail send: CICSMAIL_PORT 'http://127.0.0.1:x' is not a URL\n",
  });
});
