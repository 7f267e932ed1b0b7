// Report options as ATTACH parameters or Content-Type parameters: each wrong one refused
// with its code and a message that names it.
import t from 'tap';
import { contentTypeParams, readReportOptions } from '../../../transactions/report/options.js';

const read = (pairs: Record<string, string>) => readReportOptions(new Map(Object.entries(pairs)));

t.test('no report keys: no report', async (t) => {
  t.equal(read({}), undefined);
  t.equal(read({ NAME: 'x', CHARSET: 'ibm-037' }), undefined);
});

t.test('record formats and lengths', async (t) => {
  t.match(read({ RECFM: 'fba', LRECL: '133' }), {
    records: { recfm: 'FBA', kind: 'F', control: 'asa', lrecl: 133 },
    format: 'txt',
    zip: false,
  });
  t.match(read({ RECFM: 'VBM' }), { records: { kind: 'V', control: 'machine' } });
  t.match(read({ RECFM: 'F' }), { records: { kind: 'F', control: 'none' } });
  for (const recfm of ['F', 'FB', 'FA', 'FBA', 'FM', 'FBM', 'V', 'VB', 'VA', 'VBA', 'VM', 'VBM'])
    t.notOk('code' in (read({ RECFM: recfm }) ?? {}), recfm);
  const refused: [Record<string, string>, RegExp][] = [
    [{ RECFM: 'XYZ' }, /^RECFM=XYZ is not F, FB, V or VB/],
    [{ RECFM: 'FBS' }, /RECFM=FBS/],
    [{ RECFM: 'U' }, /RECFM=U/],
    [{ RECFM: 'FB', LRECL: '0' }, /^LRECL=0: RECFM=FB takes LRECL=1 to 32760$/],
    [{ RECFM: 'FBA', LRECL: '1' }, /^LRECL=1: RECFM=FBA takes LRECL=2 to 32760$/],
    [{ RECFM: 'VB', LRECL: '4' }, /^LRECL=4: RECFM=VB takes LRECL=5 to 32756$/],
    [{ RECFM: 'FB', LRECL: '32761' }, /LRECL=32761/],
    [{ RECFM: 'FB', LRECL: '-1' }, /LRECL=-1/],
    [{ RECFM: 'FB', LRECL: '1e3' }, /LRECL=1e3/],
    [{ RECFM: 'FB', LRECL: '9'.repeat(500) }, /^LRECL=9{20}\.\.\./],
    [{ LRECL: '80' }, /^LRECL=80 without RECFM=$/],
    [{ RECFM: 'F\u0000B' }, /^RECFM=F\?B/],
  ];
  for (const [pairs, message] of refused) {
    const r = read(pairs);
    t.match(r, { code: 'BADRECFM', message }, JSON.stringify(pairs).slice(0, 60));
  }
});

t.test('formats and their options', async (t) => {
  t.match(read({ FORMAT: 'zip/pdf' }), { format: 'pdf', zip: true, paper: 'a4' });
  t.match(read({ FORMAT: 'ZIP' }), { format: 'txt', zip: true });
  t.match(read({ FORMAT: 'text' }), { format: 'txt', zip: false });
  t.match(read({ FORMAT: 'PDF', ORIENTATION: 'Landscape', PAPER: 'letter', FONTSIZE: '7.5', MARGIN: '10mm' }), {
    orientation: 'landscape',
    paper: 'letter',
    fontSize: 7.5,
  });
  t.equal((read({ FORMAT: 'PDF', MARGIN: '1in' }) as { margin: number }).margin, 72);
  t.equal((read({ FORMAT: 'HTML', MARGIN: '18' }) as { margin: number }).margin, 18);
  t.equal((read({ FORMAT: 'CSV', SEPARATOR: 'TAB' }) as { separator: string }).separator, '\t');
  t.equal((read({ FORMAT: 'CSV', SEPARATOR: ';' }) as { separator: string }).separator, ';');
  const refused: [Record<string, string>, RegExp][] = [
    [{ FORMAT: 'XLS' }, /^FORMAT=XLS is not TXT, HTML, PDF, CSV, XLSX, ZIP/],
    [{ FORMAT: 'ZIP/ZIP' }, /FORMAT=ZIP\/ZIP/],
    [{ FORMAT: 'PDF/ZIP' }, /FORMAT=PDF\/ZIP/],
    [{ FORMAT: 'ZIP/PDF/PDF' }, /FORMAT=ZIP\/PDF\/PDF/],
    [{ FORMAT: 'TXT', ORIENTATION: 'LANDSCAPE' }, /^ORIENTATION= is for FORMAT=PDF or HTML, not TXT$/],
    [{ FORMAT: 'CSV', FONTSIZE: '8' }, /^FONTSIZE= is for FORMAT=PDF or HTML/],
    [{ FORMAT: 'PDF', SEPARATOR: ';' }, /^SEPARATOR= is for FORMAT=CSV or XLSX, not PDF$/],
    [{ FORMAT: 'PDF', ORIENTATION: 'SIDEWAYS' }, /^ORIENTATION=SIDEWAYS is not PORTRAIT or LANDSCAPE$/],
    [{ FORMAT: 'PDF', PAPER: 'A3' }, /^PAPER=A3 is not A4 or LETTER$/],
    [{ FORMAT: 'PDF', FONTSIZE: '0' }, /^FONTSIZE=0 is not a size of 4 to 36 points$/],
    [{ FORMAT: 'PDF', FONTSIZE: '99' }, /FONTSIZE=99/],
    [{ FORMAT: 'PDF', FONTSIZE: 'NaN' }, /FONTSIZE=NaN/],
    [{ FORMAT: 'PDF', MARGIN: '10cm' }, /^MARGIN=10cm is not a length/],
    [{ FORMAT: 'PDF', MARGIN: '300' }, /^MARGIN=300 leaves less than an inch of A4 paper/],
    [{ FORMAT: 'CSV', SEPARATOR: '"' }, /^SEPARATOR=" is not one printable character/],
    [{ FORMAT: 'CSV', SEPARATOR: ',,' }, /SEPARATOR=,,/],
    [{ FORMAT: 'CSV', SEPARATOR: ' ' }, /SEPARATOR= /],
  ];
  for (const [pairs, message] of refused) t.match(read(pairs), { code: 'BADRPTOP', message }, JSON.stringify(pairs));
});

t.test('Content-Type parameters', async (t) => {
  const p = contentTypeParams(
    'text/plain; charset=ibm-037; recfm=FBA; LRECL="133"; format=zip/pdf; orientation=landscape',
  );
  t.same(
    p,
    new Map([
      ['CHARSET', 'ibm-037'],
      ['RECFM', 'FBA'],
      ['LRECL', '133'],
      ['FORMAT', 'zip/pdf'],
      ['ORIENTATION', 'landscape'],
    ]),
  );
  t.same(contentTypeParams('text/plain'), new Map());
  t.same(
    contentTypeParams('text/plain; ; flag; charset=cp273'),
    new Map([['CHARSET', 'cp273']]),
    'a parameter without a value is left alone',
  );
  t.same((contentTypeParams('text/plain; separator=";"; format=csv') as Map<string, string>).get('SEPARATOR'), ';');
  t.same(
    (contentTypeParams('text/plain; charset=a; charset=b') as Map<string, string>).get('CHARSET'),
    'a',
    'others keep their first value',
  );
  t.equal(contentTypeParams('text/plain; recfm=FB; recfm=VB'), 'the Content-Type parameter recfm comes twice');
  t.match(contentTypeParams('text/plain; format="pdf'), /not closed/);
});
