// A hang detector: how a promise came out, or 'pending' where it had not after a bound far
// above the time it needs (the verdict is the settling, not the time it took).

/** 'settled', 'rejected: …', or 'pending' after `ms`. */
export function within(p: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  return Promise.race([
    p.then(
      () => 'settled',
      (err: Error) => `rejected: ${err.message}`,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}
