/**
 * UTF-8 validation of text messages (RFC 6455 §8.1), incremental so that a text message split across fragments
 * (possibly in the middle of a character) is checked as its fragments arrive, and an invalid one is rejected at
 * the first fragment that proves it invalid rather than after the whole message was buffered.
 */

/**
 * The state of one message's validation: how many continuation bytes the current character still needs and the
 * range the next one must fall in (the narrower ranges after E0, ED, F0 and F4 rule out overlong forms,
 * surrogates and code points above U+10FFFF).
 */
export class Utf8Validator {
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;

  /** Feeds the next bytes of the message; false once they are not UTF-8 (the state is then meaningless). */
  feed(bytes: Uint8Array): boolean {
    let need = this.#need;
    let lower = this.#lower;
    let upper = this.#upper;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (need === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lower = 0xa0;
          else if (b === 0xed) upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lower = 0x90;
          else if (b === 0xf4) upper = 0x8f;
        } else return false;
        continue;
      }
      if (b < lower || b > upper) return false;
      lower = 0x80;
      upper = 0xbf;
      need--;
    }
    this.#need = need;
    this.#lower = lower;
    this.#upper = upper;
    return true;
  }

  /** True when the bytes fed so far end on a character boundary (a message may end here). */
  get complete(): boolean {
    return this.#need === 0;
  }
}
