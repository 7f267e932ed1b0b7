// The journal's gauge of free space (journal/room.ts) on a file system and a clock of the
// test's own: when it reads the free space again, and what it refuses.
import t from 'tap';
import { JournalError } from '../../journal/errors.js';
import { LMDB_FLOOR_BYTES, NEAR_BYTES, READING_MS, RoomGauge } from '../../journal/room.js';

const MB = 1024 * 1024;

function gaugeOn(free: () => number) {
  let now = 0;
  let reads = 0;
  const gauge = new RoomGauge({
    free: () => {
      reads++;
      return free();
    },
    now: () => now,
  });
  return {
    gauge,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

t.test('far from full: one reading serves the writes of the next second, less what they take', async (t) => {
  const disk = gaugeOn(() => NEAR_BYTES + 100 * MB);
  disk.gauge.ensure('/j', 10 * MB, 'record'); // takes 20 MB (a record's bytes count twice)
  t.equal(disk.reads(), 1, 'the first write reads');
  disk.gauge.ensure('/j', 10 * MB, 'record');
  disk.gauge.ensure('/j', 10 * MB, 'record');
  disk.gauge.ensure('/j', 10 * MB, 'record');
  t.equal(disk.reads(), 1, 'the next three, still 256 MB clear of their need, do not');
  disk.gauge.ensure('/j', 10 * MB, 'record');
  t.equal(disk.reads(), 2, 'the fifth would come within 256 MB of the floor: it reads again');
  disk.advance(READING_MS - 1);
  disk.gauge.ensure('/j', 0, 'record');
  t.equal(disk.reads(), 2, 'a reading serves for just under a second');
  disk.advance(1);
  disk.gauge.ensure('/j', 0, 'record');
  t.equal(disk.reads(), 3, 'then it is read again');
  disk.gauge.ensure('/other', 0, 'record');
  t.equal(disk.reads(), 4, 'each folder has its own reading');
});

t.test(
  'near full: every write reads the free space, and one that would leave less than the floor is refused',
  async (t) => {
    let free = NEAR_BYTES;
    const disk = gaugeOn(() => free);
    for (let i = 1; i <= 3; i++) disk.gauge.ensure('/j', 0, 'file');
    t.equal(disk.reads(), 3, 'within 256 MB of the need, no reading is kept');
    free = LMDB_FLOOR_BYTES + 2 * MB;
    disk.gauge.ensure('/j', 2 * MB, 'file');
    t.throws(() => disk.gauge.ensure('/j', MB + 1, 'record'), {
      code: 'CICSMAIL_JOURNAL_FULL',
      message:
        'the journal cannot grow: its file system has 2560 KiB free, less than the 2561 KiB this record needs with the 512 KiB the journal keeps for its database',
    });
    t.throws(() => disk.gauge.ensure('/j', 2 * MB + 1, 'file'), JournalError, 'a message file needs its bytes once');
    free = 0;
    t.throws(
      () => disk.gauge.ensure('/j', 0, 'record'),
      { code: 'CICSMAIL_JOURNAL_FULL' },
      'nothing free: even no bytes',
    );
  },
);

t.test('a disk that filled since the last reading is seen at once where the reading was near', async (t) => {
  let free = NEAR_BYTES + LMDB_FLOOR_BYTES; // just within 256 MB of the floor
  const disk = gaugeOn(() => free);
  disk.gauge.ensure('/j', 0, 'record');
  free = 0; // another process filled it
  t.throws(() => disk.gauge.ensure('/j', 0, 'record'), { code: 'CICSMAIL_JOURNAL_FULL' });
});

t.test('a file system that cannot say lets the write go on, and is asked again next time', async (t) => {
  let fails = true;
  const disk = gaugeOn(() => {
    if (fails) throw new Error('ENOSYS');
    return 0;
  });
  t.doesNotThrow(() => disk.gauge.ensure('/j', 100 * MB, 'record'));
  fails = false;
  t.throws(() => disk.gauge.ensure('/j', 0, 'record'), { code: 'CICSMAIL_JOURNAL_FULL' });
  t.equal(disk.reads(), 2);
});
