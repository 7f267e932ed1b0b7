// CICSMAIL_BOUNCE_ADDRESS and CICSMAIL_DSN_NOTIFY: checked once at start, a bad value stops
// the start with the variable's name and the reason; unset, nothing about the mail changes.
import t from 'tap';
import { loadConfig } from '../../config/settings.js';

const load = (env: Record<string, string>) => loadConfig({ CICSMAIL_DATA: '/nonexistent', ...env });

t.test('unset: no return path, no DSN', async (t) => {
  t.equal(load({}).smtp.fate, null);
});

t.test('a bounce address alone: failure and delay', async (t) => {
  t.same(load({ CICSMAIL_BOUNCE_ADDRESS: ' bounce+{sysid}.{seq}@bounce.example ' }).smtp.fate, {
    returnPath: {
      text: 'bounce+{sysid}.{seq}@bounce.example',
      before: 'bounce+',
      between: '.',
      after: '',
      first: 'sysid',
      domain: 'bounce.example',
    },
    notify: ['FAILURE', 'DELAY'],
  });
});

t.test('with NOTIFY: as it says', async (t) => {
  const env = { CICSMAIL_BOUNCE_ADDRESS: '{seq}.{sysid}@b.example', CICSMAIL_DSN_NOTIFY: 'success,failure,delay' };
  t.same(load(env).smtp.fate?.notify, ['SUCCESS', 'FAILURE', 'DELAY']);
  t.same(load({ ...env, CICSMAIL_DSN_NOTIFY: 'never' }).smtp.fate?.notify, 'NEVER');
});

t.test('bad values stop the start, the variable named', async (t) => {
  t.throws(() => load({ CICSMAIL_BOUNCE_ADDRESS: 'bounce@bounce.example' }), {
    code: 'CICSMAIL_CONFIG',
    key: 'CICSMAIL_BOUNCE_ADDRESS',
    message: "CICSMAIL_BOUNCE_ADDRESS: 'bounce@bounce.example': the local part must hold {sysid} and {seq} once each",
  });
  t.throws(() => load({ CICSMAIL_BOUNCE_ADDRESS: '{sysid}.{seq}@b.example', CICSMAIL_DSN_NOTIFY: 'always' }), {
    key: 'CICSMAIL_DSN_NOTIFY',
    message: "CICSMAIL_DSN_NOTIFY: 'always' is not success, failure, delay or never",
  });
  t.throws(() => load({ CICSMAIL_DSN_NOTIFY: 'success' }), {
    key: 'CICSMAIL_DSN_NOTIFY',
    message:
      "CICSMAIL_DSN_NOTIFY: needs CICSMAIL_BOUNCE_ADDRESS: without it the DSNs would go to the programs' senders",
  });
});
