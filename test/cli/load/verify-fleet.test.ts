// --verify matches answers against one journal by sequence number; answers from several
// regions (behind a load balancer) number several journals, so it refuses them, saying
// what to do instead, rather than report the numbers of one region against another's.
import t from 'tap';
import { verifyRun, type JournalSource, type ReceivedSource } from '../../../cli/load/verify.js';

const journal: JournalSource = {
  name: 'a journal',
  async records(seqs) {
    return new Map(
      seqs.map((seq) => [seq, { seq, state: 'SENT', messageId: `<${seq}@x>`, size: 10, delivered: ['a@x'] }] as const),
    );
  },
};
const received: ReceivedSource = {
  name: 'a sink',
  async received() {
    return { ids: new Map([1, 2].map((seq) => [`<${seq}@x>`, 1])), total: 2, complete: true };
  },
};

t.test('answers of one region: checked as before', async (t) => {
  const report = await verifyRun(
    [
      { rc: 0, seq: 1, sysid: 'MVSA' },
      { rc: 0, seq: 2, sysid: 'MVSA' },
    ],
    journal,
    received,
  );
  t.equal(report.passed, true);
  t.same(report.problems, []);
  t.same(report.checked, { 0: 2 });
});

t.test('answers of several regions: refused, with what to do instead', async (t) => {
  const report = await verifyRun(
    [
      { rc: 0, seq: 1, sysid: 'MVSB' },
      { rc: 0, seq: 1, sysid: 'MVSA' },
      { rc: 0, seq: 2, sysid: null },
    ],
    journal,
    received,
  );
  t.equal(report.passed, false);
  t.same(report.problems, [
    "the answers came from 2 regions (MVSA, MVSB), each with its own journal: verify them with --answers FILE against 'cicsmail journal list --url …' of every region",
  ]);
  t.equal(report.answeredTwice, 0, 'seq 1 of two regions is not one record answered twice');
});
