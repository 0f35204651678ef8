/**
 * The greenlet switch baseline shared by bench/greenlet-switch.ts and bench/fiber-switch.ts: one greenlet that
 * echoes back whatever it is switched to (plus one), so a round trip main → g → main is two switches.
 */
import { Greenlet } from '../lib';
import { nowNs } from './harness';

const echo = new Greenlet((first: number) => {
  const main = echo.parent!;
  let value = first;
  for (;;) value = (main.switch(value + 1) as number) ?? 0;
});

/** Runs `n` round trips and returns ns per round trip. */
export function greenletRoundTrips(n: number): number {
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) acc = echo.switch(acc) as number;
  const dt = nowNs() - t0;
  if (acc !== n) throw new Error(`greenlet echo returned ${acc}, expected ${n}`);
  return dt / n;
}

/** Unwinds the echo greenlet (at the end of a script). */
export function closeGreenletEcho(): void {
  echo.close();
}
