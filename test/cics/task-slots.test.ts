// The task slots the region and its workers share: who took a task, and when.
import t from 'tap';
import { TaskSlots } from '../../cics/task-slots.js';

t.test('a task taken by a worker: by which thread, and when', async (t) => {
  const region = new TaskSlots();
  const worker = new TaskSlots(region.buffer); // the worker's view of the same memory
  region.open(7);
  t.equal(region.takenAt(7), undefined, 'not taken yet');
  t.equal(worker.claim(7, 3, 1_796_000_000_123), true, 'taken');
  t.equal(region.takenAt(7), 1_796_000_000_123, 'the region sees when');
  t.equal(region.takenAt(8), undefined, 'another task: nothing');
});

t.test("a task's limit counts from when its program is loaded, not from the claim", async (t) => {
  const region = new TaskSlots();
  const worker = new TaskSlots(region.buffer);
  region.open(7);
  worker.claim(7, 3, 1_000);
  worker.started(7, 2_500); // a first load of the program took 1.5 s
  t.equal(region.takenAt(7), 2_500, 'the region counts from the start too');
  region.open(7 + 65_536);
  worker.started(7, 9_000); // the older task's word about a reused slot
  t.equal(region.takenAt(7 + 65_536), undefined, 'changes nothing of the newer task');
});

t.test('a task the region cancelled before a worker took it: not run, no time', async (t) => {
  const region = new TaskSlots();
  const worker = new TaskSlots(region.buffer);
  region.open(9);
  t.equal(await region.stop(9, []), 'cancelled');
  t.equal(worker.claim(9, 3, 5), false, 'the worker does not run it');
  t.equal(region.takenAt(9), undefined);
});

t.test('a slot reused 65,536 tasks later belongs to the newer task', async (t) => {
  const region = new TaskSlots();
  const worker = new TaskSlots(region.buffer);
  region.open(1);
  worker.claim(1, 3, 100);
  region.open(1 + 65_536);
  t.equal(region.takenAt(1), undefined, 'the older task: no longer known');
  t.equal(region.takenAt(1 + 65_536), undefined, 'the newer one: not taken yet');
  t.equal(worker.claim(1 + 65_536, 4, 200), true);
  t.equal(region.takenAt(1 + 65_536), 200);
});

t.test("a committed task's beat: the region sees when its thread last yielded, for its own task only", async (t) => {
  const region = new TaskSlots();
  const worker = new TaskSlots(region.buffer);
  region.open(11);
  worker.claim(11, 3, 100);
  t.equal(region.lastBeat(11), undefined, 'not committed: the hard stop may end it');
  worker.beat(11, 150);
  worker.beat(11, 350);
  t.equal(region.lastBeat(11), 350);
  worker.beat(12, 400);
  t.equal(region.lastBeat(12), undefined, 'no beat for a task the slot is not open for');
  region.open(11 + 65_536);
  t.equal(region.lastBeat(11 + 65_536), undefined, 'a new task in the slot starts uncommitted');
  t.equal(region.lastBeat(11), undefined, 'the older task is no longer known');
});
