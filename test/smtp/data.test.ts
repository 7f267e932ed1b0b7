// The DATA phase's stall detection (RFC 5321 4.5.3.2's data block time-out) on a clock of
// the test's own: a relay that takes the message slowly but steadily is no stalled one, a
// relay that takes nothing for the time-out is. The socket is a stream whose reads the test
// lets through, so nothing here waits on real time.
import { Writable } from 'node:stream';
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import fc from 'fast-check';
import { DotStuffer, END_OF_DATA, writeMessage } from '../../smtp/data.js';
import type { MessageChunks } from '../../cics/message-chunks.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

/**
 * A socket with 16 KiB of buffer that takes bytes only when the test lets it: `take()` lets
 * 64 KiB through, what waits and what comes after it, as one read of a relay does.
 */
function slowSocket() {
  const pending: Array<{ size: number; go: () => void }> = [];
  const taken: Buffer[] = [];
  let budget = 0;
  const pass = () => {
    while (pending.length > 0 && budget > 0) {
      const next = pending.shift() as { size: number; go: () => void };
      budget -= next.size;
      next.go();
    }
  };
  const socket = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      pending.push({
        size: chunk.length,
        go: () => {
          taken.push(chunk);
          callback();
        },
      });
      pass();
    },
  });
  return {
    socket: socket as unknown as import('node:net').Socket,
    taken,
    take: () => {
      budget = 64 * 1024;
      pass();
    },
  };
}

const message = (size: number) => {
  const m = Buffer.alloc(size, 'x');
  for (let i = 76; i < size; i += 78) m.write('\r\n', i, 'latin1');
  return m;
};

t.test(
  'a relay that takes a slice every 0.9 s of a 1 s time-out is never stalled, however long it takes',
  async (t) => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    t.teardown(() => clock.uninstall());
    const { socket, taken, take } = slowSocket();
    const body = message(1024 * 1024);
    let stalled: number | null = null;
    const done = writeMessage(socket, body, 1000, (sent) => (stalled = sent));
    let finished = false;
    void done.then(() => (finished = true));
    let elapsed = 0;
    while (!finished && elapsed < 600_000) {
      await clock.tickAsync(900);
      elapsed += 900;
      take();
      await clock.tickAsync(0);
    }
    t.ok(finished, 'the whole message went');
    t.equal(stalled, null, 'never taken for stalled');
    t.ok(elapsed > 10_000, `it took ${elapsed / 1000} s of the clock, ten times the time-out`);
    t.same(Buffer.concat(taken).subarray(-END_OF_DATA.length), END_OF_DATA, 'ended with the end of data');
  },
);

t.test('a relay that takes nothing for the time-out is stalled, with what did go', async (t) => {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  t.teardown(() => clock.uninstall());
  const { socket, take } = slowSocket();
  let stalled: number | null = null;
  const done = writeMessage(socket, message(1024 * 1024), 1000, (sent) => {
    stalled = sent;
    socket.destroy();
  });
  await clock.tickAsync(900);
  take();
  await clock.tickAsync(999);
  t.equal(stalled, null, 'not before the time-out');
  await clock.tickAsync(1);
  await done;
  t.ok(stalled !== null && stalled > 0 && stalled < 1024 * 1024, `stalled with ${stalled} bytes gone`);
});

/** Dot-stuffing as RFC 5321 4.5.2 says it, on the whole message at once: the reference. */
function stuffedWhole(message: string): string {
  const stuffed = message.replace(/(^|\r\n)\./g, '$1..');
  return stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`;
}

/** The message cut at `cuts` (offsets), stuffed chunk by chunk. */
function stuffedInChunks(message: Buffer, cuts: readonly number[]): string {
  const stuffer = new DotStuffer();
  const out: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, message.length]) {
    for (const piece of stuffer.pieces(message.subarray(from, at))) out.push(Buffer.from(piece));
    from = at;
  }
  for (const piece of stuffer.end()) out.push(piece);
  return Buffer.concat(out).toString('latin1');
}

t.test('dot-stuffing in chunks is the same wherever the chunks are cut', async (t) => {
  // Every cut of messages whose dots sit at each place a seam can fall: before, inside and after a CRLF.
  const fixed = ['.', '..', '.\r\n', 'a\r\n.b\r\n', 'a\r\n\r\n.\r\n.\r\n', 'x\r', 'x\r\n', '\r\n.', 'a.b\r\n.'];
  for (const text of fixed) {
    const message = Buffer.from(text, 'latin1');
    for (let a = 0; a <= message.length; a++)
      for (let b = a; b <= message.length; b++)
        t.equal(stuffedInChunks(message, [a, b]), stuffedWhole(text), `${JSON.stringify(text)} cut at ${a}, ${b}`);
  }
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('.', '\r\n', '\r', '\n', 'a', '..'), { maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (units, raw) => {
        const text = units.join('');
        const cuts = raw.map((c) => c % (text.length + 1)).sort((x, y) => x - y);
        const got = stuffedInChunks(Buffer.from(text, 'latin1'), cuts);
        if (got !== stuffedWhole(text))
          throw new Error(`${JSON.stringify(text)} cut at ${cuts.join(',')}: ${JSON.stringify(got)}`);
      },
    ),
    { numRuns: 1000 },
  );
});

/** A socket that takes everything at once, keeping what it took. */
function keepingSocket() {
  const taken: Buffer[] = [];
  const socket = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      taken.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  return { socket: socket as unknown as import('node:net').Socket, taken };
}

t.test('a message in chunks goes out as the same bytes, its chunks never held past their turn', async (t) => {
  const whole = message(700 * 1024);
  whole.write('.', 78, 'latin1'); // a dot that starts a line, inside the first chunk
  whole.write('\r\n.', 256 * 1024 - 1, 'latin1'); // a CRLF cut by the first seam, a dot after it
  const expected = Buffer.concat([Buffer.from(stuffedWhole(whole.toString('latin1')), 'latin1'), END_OF_DATA]);
  const inChunks: MessageChunks = {
    byteLength: whole.length,
    ascii: true,
    headerAscii: true,
    // One buffer for every chunk, overwritten when the next is asked for: a chunk kept past its turn would go out wrong.
    async *chunks() {
      const scratch = Buffer.alloc(256 * 1024);
      for (let at = 0; at < whole.length; at += scratch.length) {
        const n = whole.copy(scratch, 0, at, at + scratch.length);
        yield scratch.subarray(0, n);
        scratch.fill(0x21);
      }
    },
  };
  const a = keepingSocket();
  await writeMessage(a.socket, inChunks, 10_000, () => t.fail('stalled'));
  t.ok(Buffer.concat(a.taken).equals(expected), 'the same bytes as stuffed whole');
  const b = keepingSocket();
  await writeMessage(b.socket, whole, 10_000, () => t.fail('stalled'));
  t.ok(Buffer.concat(b.taken).equals(expected), 'and as the message given whole');
});

t.test('dot-stuffing in chunks grows in proportion to the message', async (t) => {
  const make = (n: number) => Buffer.from('line\r\n.dot\r\n'.repeat(n), 'latin1');
  const run = (bytes: Buffer) => stuffedInChunks(bytes, [bytes.length >> 2, bytes.length >> 1]).length;
  const figures = await doubling(make, run, { n: 1024 });
  t.ok(figures.ratio < LINEAR_RATIO, doublingText(figures));
});
