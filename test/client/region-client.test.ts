// Where a client finds its region: --url, else CICSMAIL_URL, else 127.0.0.1 on CICSMAIL_PORT
// (8080), as the README tells a newcomer; a variable set blank counts as unset.
import t from 'tap';
import { RegionClient } from '../../client/region-client.js';
import { basicAuthorization } from '../../client/protocol.js';

t.test('the URL: the option, CICSMAIL_URL, CICSMAIL_PORT, 8080', async (t) => {
  const url = (options: { url?: string }, env: NodeJS.ProcessEnv) => RegionClient.from(options, env).url;
  t.equal(url({}, {}), 'http://127.0.0.1:8080');
  t.equal(url({}, { CICSMAIL_PORT: '9123' }), 'http://127.0.0.1:9123');
  t.equal(url({}, { CICSMAIL_PORT: ' ' }), 'http://127.0.0.1:8080', 'a blank port is unset');
  t.equal(url({}, { CICSMAIL_URL: 'http://mvs1:8080/', CICSMAIL_PORT: '9123' }), 'http://mvs1:8080');
  t.equal(url({}, { CICSMAIL_URL: '', CICSMAIL_PORT: '9123' }), 'http://127.0.0.1:9123', 'a blank URL is unset');
  t.equal(url({}, { CICSMAIL_URL: '  ' }), 'http://127.0.0.1:8080');
  t.equal(url({ url: 'https://mvs2' }, { CICSMAIL_URL: 'http://mvs1' }), 'https://mvs2', '--url wins');
  t.throws(() => url({}, { CICSMAIL_URL: 'mvs1:8080' }), {
    code: 'CICSMAIL_REGION_URL',
    message: "'mvs1:8080' is not an http:// or https:// URL",
  });
});

t.test('the user: the option, else CICSMAIL_USER; blank is none', async (t) => {
  const auth = (options: { user?: string }, env: NodeJS.ProcessEnv) => RegionClient.from(options, env).authorization;
  t.equal(auth({}, { CICSMAIL_USER: 'BATCH1:pw' }), basicAuthorization('BATCH1:pw'));
  t.equal(auth({ user: 'OPER1:pw' }, { CICSMAIL_USER: 'BATCH1:pw' }), basicAuthorization('OPER1:pw'));
  t.equal(auth({}, { CICSMAIL_USER: '' }), undefined);
  t.equal(auth({}, {}), undefined);
});
