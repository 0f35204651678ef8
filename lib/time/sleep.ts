/**
 * sleep: the simplest blocking call.
 */
import { park, requireGreen, yieldNow } from '../runtime/hub';
import { checkSeconds } from '../runtime/seconds';

/**
 * Blocks the current green thread for `seconds` while the event loop and other green threads run.
 * `sleep(0)` (the default) lets every other ready green thread and the event loop run once, then continues.
 * On the main stack it throws a HubBlockingError.
 *
 * Switch point: always.
 */
export function sleep(seconds = 0): void {
  checkSeconds(seconds, 'sleep');
  if (seconds === 0) {
    yieldNow();
    return;
  }
  requireGreen('sleep()');
  park('sleep', seconds);
}
