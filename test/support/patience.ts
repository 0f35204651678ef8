/**
 * How long a test may wait for work that takes real time (a child process, ten thousand timers): a time it
 * normally takes, multiplied by VERDANT_TEST_TIME_SCALE (default 1). An emulated CPU (qemu-user) runs the same
 * work ten to thirty times slower; the scale gives it that time without changing what the tests assert.
 */
const raw = process.env.VERDANT_TEST_TIME_SCALE;
const scale = raw === undefined || raw === '' ? 1 : Number(raw);
if (!Number.isFinite(scale) || scale < 1) {
  throw new RangeError(`VERDANT_TEST_TIME_SCALE must be a number of at least 1, not ${JSON.stringify(raw)}`);
}

/** `ms` milliseconds, scaled for a slow (emulated) machine. */
export function patience(ms: number): number {
  return Math.round(ms * scale);
}
