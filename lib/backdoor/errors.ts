/**
 * The error classes of the backdoor (lib/backdoor). Bad option values are plain TypeErrors and RangeErrors.
 */

/**
 * `backdoor.serve` was asked to listen on an address other machines can reach, without `allowRemote: true`.
 * Anyone who connects to a backdoor runs code in the process, so exposing one has to be a deliberate choice.
 *
 * Permanent: a configuration error.
 */
export class BackdoorBindError extends Error {
  /** The address as it was given, formatted. */
  readonly address: string;

  constructor(address: string) {
    super(
      `backdoor.serve: refusing to listen on ${address}, which is not a loopback address: whoever connects runs ` +
        'code in this process. Listen on 127.0.0.1 or ::1 (a port alone does), or pass { allowRemote: true } ' +
        'together with a token if remote access is really meant.',
    );
    this.name = 'BackdoorBindError';
    this.address = address;
  }
}
