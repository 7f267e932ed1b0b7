// The console's mail views (region/views/mail-views.ts): a mail is parsed once, in a thread of
// its own (the main thread keeps turning meanwhile), kept within a bound, and a mail that
// cannot be parsed is not kept.
import t from 'tap';
import { MailViews } from '../../../region/views/mail-views.js';

function mail(parts: number, tag = 'x'): Buffer {
  const head = `From: a@x.example\r\nTo: b@y.example\r\nSubject: ${tag}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n`;
  const body = Array.from(
    { length: parts },
    (_, i) =>
      `--b\r\nContent-Type: text/plain; name="p${i}.txt"\r\nContent-Disposition: attachment; filename="p${i}.txt"\r\n\r\npart ${i}\r\n`,
  ).join('');
  return Buffer.from(`${head}${body}--b--\r\n`);
}

t.test('parsed once, in its own thread, kept within a bound', async (t) => {
  const views = new MailViews(40_000);
  t.teardown(() => views.close());
  let loads = 0;
  const load = (bytes: Buffer) => () => {
    loads++;
    return bytes;
  };
  const big = mail(9_000, 'big');
  // The main thread turns while the big mail is parsed: a parse on it would allow none.
  let turns = 0;
  let parsing = true;
  const spin = () => {
    turns++;
    if (parsing) setImmediate(spin);
  };
  setImmediate(spin);
  const first = await views.get('journal:1', load(big))?.finally(() => (parsing = false));
  t.equal(first?.view.attachments.length, 9_000);
  t.equal(first?.view.subject, 'big');
  t.ok(turns > 20, `the event loop turned ${turns} times during the parse`);
  t.equal(views.parses, 1);

  // Too large to keep (over 40,000 bytes): parsed again when asked again.
  await views.get('journal:1', load(big));
  t.equal(views.parses, 2);
  t.equal(loads, 2);

  const small = mail(2, 'small');
  const a = await views.get('journal:2', load(small));
  const b = await views.get('journal:2', load(small));
  t.equal(a, b, 'the same view, kept');
  t.equal(views.parses, 3);
  t.equal(loads, 3, 'its bytes read once');
  t.equal(b?.attachments.length, 2);
  t.same(Buffer.from(new Uint8Array(b?.attachments[1]?.content as ArrayBuffer)).toString(), 'part 1');

  // Enough other mails push the first kept one out.
  for (let i = 3; i < 3 + Math.ceil(40_000 / small.length); i++) await views.get(`journal:${i}`, load(small));
  const parses = views.parses;
  await views.get('journal:2', load(small));
  t.equal(views.parses, parses + 1, 'the one shown longest ago went first');

  t.equal(
    views.get('journal:999', () => undefined),
    undefined,
    'no such mail',
  );
});

t.test('a mail that cannot be parsed is not kept', async (t) => {
  const views = new MailViews();
  t.teardown(() => views.close());
  // postal-mime takes almost anything; a value that is not bytes fails in the thread.
  await t.rejects(views.get('captured:1', () => 42 as unknown as Uint8Array) as Promise<unknown>);
  await views.get('captured:1', () => mail(1));
  t.equal(views.parses, 2, 'asked again, parsed again');
});
