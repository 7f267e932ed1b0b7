// The round trip with a real mail system: the project's SMTP client sends two mails with DSN
// asked for and their own return paths to a private Postfix; Postfix delivers known@, has no
// nobody@, and sends its own RFC 3464 reports back through a transport map to the bounce
// listener, which reads them and matches each to its mail by return path and ENVID. The
// comment gives the time from the send to each parsed report.
import t from 'tap';
import { startBouncingPostfix } from '../../helpers/postfix-dsn.js';
import { postfixUnavailable } from '../../helpers/postfix.js';
import { testPool } from '../../helpers/smtp.js';
import { BounceListener, type ReceivedBounce } from '../../../smtp/dsn/listener.js';
import { fateEnvelope, type FateSettings } from '../../../smtp/dsn/request.js';
import { parseReturnPath } from '../../../smtp/dsn/return-path.js';
import { pythonBlocks } from '../../helpers/dsn-check.js';

const unavailable = postfixUnavailable();

t.test(
  'Postfix reports delivered and failed; each report reaches its mail',
  { skip: unavailable ?? false },
  async (t) => {
    const template = parseReturnPath('bounce+{sysid}.{seq}@bounce.example');
    if (!template.ok) throw new Error(template.reason);
    const arrived: { at: number; bounce: ReceivedBounce }[] = [];
    let wake = () => {};
    const listener = await BounceListener.start({
      host: '127.0.0.1',
      port: 0,
      name: 'bounces.test',
      returnPath: template.template,
      sysid: 'PRD1',
      maxBytes: 1024 * 1024,
      ratePerMinute: 0,
      maxClients: 10,
      onBounce: (bounce) => {
        arrived.push({ at: performance.now(), bounce });
        wake();
        return { accept: true };
      },
    });
    t.teardown(() => listener.close());
    const mta = await startBouncingPostfix(t, {
      bounceDomain: 'bounce.example',
      listener: { host: '127.0.0.1', port: listener.port },
    });
    const pool = testPool(t, mta.url, { timeouts: { connect: 10_000, command: 10_000, final: 10_000 } });
    const message = (subject: string) =>
      Buffer.from(`From: payroll@corp.example\r\nTo: known@example.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
    const send = async (settings: FateSettings, seq: number, to: string[]) => {
      const envelope = fateEnvelope(settings, 'PRD1', seq, 'payroll@corp.example');
      const sentAt = performance.now();
      const delivery = await pool.send(envelope.from, to, message(`mail ${seq}`), Infinity, envelope.dsn);
      t.same([delivery.kind, delivery.accepted], ['sent', to], `mail ${seq} taken for all at RCPT`);
      return sentAt;
    };
    // Mail 42 asks for success too; mail 43 the default, failure and delay.
    const sent42 = await send({ returnPath: template.template, notify: ['SUCCESS', 'FAILURE', 'DELAY'] }, 42, [
      'known@example.test',
      'nobody@example.test',
    ]);
    const sent43 = await send({ returnPath: template.template, notify: ['FAILURE', 'DELAY'] }, 43, [
      'nobody@example.test',
    ]);
    // A real wait: Postfix answers in about a second here; thirty is ten times more than enough.
    const deadline = performance.now() + 30_000;
    while (arrived.length < 3 && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250);
      });
    }
    const lines = arrived.map(({ bounce }) => {
      const r = bounce.reading;
      if (r.kind !== 'dsn') return [r.kind];
      return [r.seq, r.envelopeId, ...r.recipients.flatMap((x) => [x.finalRecipient.value, x.action, x.status])];
    });
    t.same(
      lines.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        [42, 'PRD1.42', 'known@example.test', 'delivered', '2.0.0'],
        [42, 'PRD1.42', 'nobody@example.test', 'failed', '5.1.1'],
        [43, 'PRD1.43', 'nobody@example.test', 'failed', '5.1.1'],
      ],
      `Postfix's log ends:\n${mta.log().split('\n').slice(-15).join('\n')}`,
    );
    for (const { bounce } of arrived) {
      const r = bounce.reading;
      if (r.kind !== 'dsn') continue;
      t.equal(bounce.from, '', 'a report comes from the null sender');
      t.equal(bounce.to, `bounce+prd1.${r.seq}@bounce.example`);
      t.same(r.reportingMta, { type: 'dns', value: 'mta.test' });
      const [recipient] = r.recipients;
      t.same(
        recipient?.originalRecipient,
        { type: 'rfc822', value: recipient?.finalRecipient.value },
        'ORCPT came back',
      );
      if (recipient?.action === 'failed')
        t.same(recipient.diagnostic, { type: 'x-postfix', value: 'unknown user: "nobody@example.test"' });
      // Python splits the same report into the same fields.
      const python = await pythonBlocks(bounce.raw);
      const fields = new Map(python.blocks?.[1]?.map(([name, value]) => [name.toLowerCase(), value]));
      t.same(
        [fields.get('action'), fields.get('status'), fields.get('final-recipient')],
        [recipient?.action, recipient?.status, `rfc822; ${recipient?.finalRecipient.value}`],
      );
    }
    const [delivered] = await mta.mailbox('known@example.test');
    const head = delivered?.toString('latin1') ?? '';
    t.match(head, /^Return-Path: <bounce\+prd1\.42@bounce\.example>$/m, "the return path is the mail's own");
    t.match(head, /^From: payroll@corp\.example$/m, "the From header is the program's");
    const after = (seq: number, action: string) =>
      arrived.find(
        ({ bounce: { reading: r } }) => r.kind === 'dsn' && r.seq === seq && r.recipients[0]?.action === action,
      )?.at;
    const ms = (from: number, to: number | undefined) => (to === undefined ? 'none' : `${Math.round(to - from)} ms`);
    t.comment(
      `send to parsed report: 42 delivered ${ms(sent42, after(42, 'delivered'))}, 42 failed ${ms(sent42, after(42, 'failed'))}, 43 failed ${ms(sent43, after(43, 'failed'))}`,
    );
    t.same(listener.counts(), { accepted: 3, refused: {} });
  },
);
