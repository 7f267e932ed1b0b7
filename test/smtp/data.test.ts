// The DATA phase's stall detection (RFC 5321 4.5.3.2's data block time-out) on a clock of
// the test's own: a relay that takes the message slowly but steadily is no stalled one, a
// relay that takes nothing for the time-out is. The socket is a stream whose reads the test
// lets through, so nothing here waits on real time.
import { Writable } from 'node:stream';
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import { END_OF_DATA, writeMessage } from '../../smtp/data.js';

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
