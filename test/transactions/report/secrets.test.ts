// A request as the region's records keep it: every PASSWORD= and OWNERPW= value reads
// *REDACTED*, wherever it stands (a SEND statement, a Content-Type parameter, any case,
// quoted or not), and nothing else changes; a request without one is kept as it came.
import t from 'tap';
import { codePage } from '../../../cics/codepages.js';
import type { Container } from '../../../cics/task.js';
import { REDACTED, redactRequest, redactText } from '../../../transactions/report/secrets.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';

const cp = codePage(37);

t.test('each form of a password value is redacted; the words around it are kept', async (t) => {
  const cases: [string, string][] = [
    [
      'ATTACH NAME=a FORMAT=PDF PASSWORD=Secret-1 OWNERPW=Owner-2',
      `ATTACH NAME=a FORMAT=PDF PASSWORD=${REDACTED} OWNERPW=${REDACTED}`,
    ],
    ['attach name=a password=lower-case', `attach name=a password=${REDACTED}`],
    ['PASSWORD=first-on-the-line', `PASSWORD=${REDACTED}`],
    ['text/plain; recfm=FBA; password=Chan-3; format=pdf', `text/plain; recfm=FBA; password=${REDACTED}; format=pdf`],
    ['text/plain;password = "quoted;value" ;format=zip', `text/plain;password = ${REDACTED} ;format=zip`],
    ['x; ownerpw="never closed', `x; ownerpw=${REDACTED}`],
    ['ATTACH PASSWORD=line-one\u0085 1NEXT RECORD', `ATTACH PASSWORD=${REDACTED}\u0085 1NEXT RECORD`],
    ['ATTACH PASSWORD=\u0085next', `ATTACH PASSWORD=${REDACTED}\u0085next`],
    ['NOPASSWORD=kept MYOWNERPW=kept', 'NOPASSWORD=kept MYOWNERPW=kept'],
    ['PASSWORDS=kept PASSWORD kept', 'PASSWORDS=kept PASSWORD kept'],
  ];
  for (const [text, redacted] of cases) t.equal(redactText(text), redacted, text);
});

t.test('a request: the COMMAREA, the INPUT container and every Content-Type; the rest as it came', async (t) => {
  const statements = cp.encode('ATTACH NAME=x FORMAT=ZIP PASSWORD=Zip-Secret-9\u0085 line\u0085ENDATTACH\u0085');
  const data = cp.encode(' PASSWORD=in-report-data-is-not-searched');
  const containers: Container[] = [
    { name: 'INPUT', kind: 'char', ccsid: 1047, contentType: 'text/plain', filename: null, data: statements },
    {
      name: 'R1',
      kind: 'bit',
      ccsid: 37,
      contentType: 'application/octet-stream; format=pdf; password=P-4567',
      filename: null,
      data,
    },
  ];
  const out = redactRequest({ form: 'bytes', bytes: statements }, containers, 37);
  const decoded = (bytes: Uint8Array) => cp.decode(bytes);
  t.equal(
    out.commarea.form === 'bytes' ? decoded(out.commarea.bytes) : '',
    `ATTACH NAME=x FORMAT=ZIP PASSWORD=${REDACTED}\u0085 line\u0085ENDATTACH\u0085`,
  );
  t.equal(
    decoded(out.containers[0]?.data ?? new Uint8Array()),
    `ATTACH NAME=x FORMAT=ZIP PASSWORD=${REDACTED}\u0085 line\u0085ENDATTACH\u0085`,
  );
  t.equal(out.containers[1]?.contentType, `application/octet-stream; format=pdf; password=${REDACTED}`);
  t.equal(out.containers[1]?.data, data, 'report data is not searched (nor copied)');
  t.equal(decoded(statements).includes('Zip-Secret-9'), true, "the task's own request is not changed");

  const plain = { form: 'bytes', bytes: cp.encode('TO a@b.example\u0085TEXT\u0085x = 1\u0085ENDTEXT\u0085') } as const;
  const kept = [{ ...containers[1], contentType: 'text/plain' } as Container];
  const same = redactRequest(plain, kept, 37);
  t.equal(same.commarea, plain, 'no password: the same COMMAREA, not a copy');
  t.equal(same.containers[0], kept[0], 'the same container');
});

t.test('work in proportion: statements full of passwords, and runs of blanks before equals signs', async (t) => {
  const many = (n: number) => cp.encode('ATTACH NAME=a FORMAT=PDF PASSWORD=Secret-12345\u0085'.repeat(n));
  const blanks = (n: number) => cp.encode(`${' '.repeat(50)}=D`.repeat(n));
  for (const [what, make] of [
    ['passwords', many],
    ['blanks before =', blanks],
  ] as const) {
    const figures = await doubling(make, (bytes) => redactRequest({ form: 'bytes', bytes }, [], 37), { n: 500 });
    t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
  }
});
