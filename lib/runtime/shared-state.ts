/**
 * The cells lib/ shares with the native hub (native/hub/hub.h, `SharedState`): an Int32Array over memory that
 * V8 never moves, so both sides read and write them without a call.
 * @internal
 */
import { native } from './native';

export const sharedState = new Int32Array(native.shared_state);

/** 1 while main is suspended inside a hub switch: it runs the event loop and takes no value back. */
export const MAIN_IN_HUB = 0;
/** Set by the hub right before it switches into a greenlet; whoever receives control clears it. */
export const HUB_SWITCH = 1;
/** The id of the alarm that woke a parked greenlet (with the wake code `Alarm`). */
export const ALARM_ID = 2;
/** The errno of a poller failure (with the wake code `Failed`). */
export const ERRNO = 3;
