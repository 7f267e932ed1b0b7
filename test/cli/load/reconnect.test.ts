// Reconnecting after a failed connection, on a client of the test's own making (autocannon's
// client as far as the wrapper reads it) and a clock the test moves: the wait doubles to a
// second, a refused request is made again, one a reset took is unanswered, a connection the
// region closed with a request on it says so, and outages are measured from failure to answer.
import { EventEmitter } from 'node:events';
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import {
  Outages,
  reconnectDelayMs,
  reconnectWithBackoff,
  type ReconnectingClient,
} from '../../../cli/load/reconnect.js';

t.test('the wait: 50 ms, doubling to a second, spread by a quarter either way', async (t) => {
  const middle = () => 0.5;
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 20].map((n) => reconnectDelayMs(n, middle)),
    [50, 100, 200, 400, 800, 1000, 1000, 1000],
  );
  t.equal(
    reconnectDelayMs(1, () => 0),
    38,
    'the shortest: three quarters',
  );
  t.equal(
    reconnectDelayMs(6, () => 1),
    1250,
    'the longest: five quarters of a second',
  );
});

/** A client as autocannon's: _connect opens a connection and makes a request on it. */
class FakeClient extends EventEmitter implements ReconnectingClient {
  destroyed = false;
  reqsMade = 0;
  connects = 0;
  readonly queue: string[] = [];
  readonly pipelinedRequests = {
    size: () => this.queue.length,
    clear: () => void this.queue.splice(0),
  };
  parserResets = 0;
  readonly parser = { type: 'RESPONSE', initialize: () => void this.parserResets++ };
  _connect(): void {
    this.connects++;
    this.reqsMade++;
    this.queue.push(`request ${this.reqsMade}`);
  }
  /** A connection error as the client's socket reports it (autocannon reconnects in its listener). */
  fail(code: string): void {
    this.emit('connError', Object.assign(new Error(`connect ${code}`), { code }));
    if (!this.destroyed) this._connect();
  }
}

t.test('a refused connection: its request is made again after the wait; a reset: unanswered', async (t) => {
  const clock = FakeTimers.createClock(0);
  const client = new FakeClient();
  const failed: [string | undefined, number, number][] = [];
  const closed: number[] = [];
  const state = reconnectWithBackoff(
    client,
    { failed: (e, unanswered, resent) => failed.push([e.code, unanswered, resent]), closed: (n) => closed.push(n) },
    { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), random: () => 0.5 },
  );
  client._connect();
  t.same([client.connects, client.reqsMade], [1, 1], 'the first connection at once');

  client.fail('ECONNREFUSED');
  t.same(failed, [['ECONNREFUSED', 0, 1]], 'refused: nothing unanswered, one request to make again');
  t.same([client.reqsMade, client.queue.length, state.waiting], [0, 0, true], 'taken back; the queue emptied');
  clock.tick(49);
  t.equal(client.connects, 1, 'no reconnect before 50 ms');
  clock.tick(1);
  t.same([client.connects, client.reqsMade, state.waiting], [2, 1, false], 'reconnected at 50 ms');

  client.fail('ECONNREFUSED');
  clock.tick(99);
  t.equal(client.connects, 2, 'the second wait doubles');
  clock.tick(1);
  t.equal(client.connects, 3);

  // An answer: the next failure waits the first wait again.
  client.emit('response');
  client.fail('ECONNRESET');
  t.same(failed.at(-1), ['ECONNRESET', 1, 0], 'reset: the request went with it, unanswered');
  t.equal(client.reqsMade, 1, 'an unanswered request stays made (the refused ones were taken back)');
  // Every new connection starts with a fresh parser: the first, and each after a failure.
  t.equal(client.parserResets, 4, 'each new connection resets the parser');
  clock.tick(50);
  t.equal(client.connects, 4);

  // autocannon's answer timer reconnects during a wait: the wait's reconnect is the one.
  client.fail('ECONNREFUSED');
  client._connect();
  t.equal(client.connects, 4, 'no second connection meanwhile');
  clock.tick(100);
  t.equal(client.connects, 5);

  // The region closes a connection ('end') with a request on it: autocannon reconnects at once.
  const resets = client.parserResets;
  client._connect();
  t.same(closed, [1], 'one request unanswered on a closed connection');
  t.equal(client.connects, 6, 'at once: no wait');
  // As after autocannon's answer timer, which clears the queue first: the parser was in the
  // middle of an answer, and would read the next connection's as its rest.
  t.equal(client.parserResets, resets + 1, 'a fresh parser for the new connection');

  client.fail('ECONNREFUSED');
  client.destroyed = true;
  clock.tick(1000);
  t.equal(client.connects, 6, 'a client that ended meanwhile stays ended');
  t.equal(clock.countTimers(), 0);
});

t.test('outages: from the first failure to the next answer; too long gives up', async (t) => {
  const outages = new Outages(1000);
  t.equal(outages.answered(5), null, 'an answer without an outage');
  t.same(outages.failed(100), { started: true, tooLong: false });
  t.same(outages.failed(600), { started: false, tooLong: false });
  t.equal(outages.answered(700), 600);
  t.same(outages.failed(2000), { started: true, tooLong: false });
  t.same(outages.failed(3000), { started: false, tooLong: false }, 'a second exactly is not too long');
  t.same(outages.failed(3001), { started: false, tooLong: true });
  t.same([outages.count, outages.longestMs, outages.gaveUp], [2, 1001, true]);
});
