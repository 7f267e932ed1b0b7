// The doubling measure tells linear work from quadratic work on this machine, whatever
// its speed: a loop that goes over all the items before each one, against one that goes
// over each item once.
import t from 'tap';
import { doubling, doublingText, LINEAR_RATIO } from './doubling.js';

const texts = (n: number) => Array.from({ length: n }, (_, i) => String(i % 10).repeat(1 + (i % 40)));

t.test('work that goes over all the items before each one is found quadratic', async (t) => {
  const measure = () =>
    doubling(
      texts,
      (items) => {
        let sum = 0;
        for (let i = 0; i < items.length; i++) for (let j = 0; j < i; j++) sum += (items[j] as string).length;
        return sum;
      },
      { n: 500 },
    );
  // As doubling() measures again a ratio that looks too high, this measures again one that
  // looks too low: a busy machine can spoil a measurement either way.
  let quadratic = await measure();
  for (let attempt = 1; attempt < 3 && quadratic.ratio < LINEAR_RATIO; attempt++) {
    const again = await measure();
    if (again.ratio > quadratic.ratio) quadratic = again;
  }
  t.ok(quadratic.ratio >= LINEAR_RATIO, `quadratic: ${doublingText(quadratic)}`);
});

t.test('work that goes over each item once is found linear', async (t) => {
  const linear = await doubling(
    texts,
    (items) => {
      let sum = 0;
      for (const item of items) for (let k = 0; k < 100; k++) sum += item.length + k;
      return sum;
    },
    { n: 500 },
  );
  t.ok(linear.ratio < LINEAR_RATIO, `linear: ${doublingText(linear)}`);
});
