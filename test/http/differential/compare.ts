/**
 * Compares what the two parsers made of one connection's bytes and names the first place they part, if any.
 *
 * Messages are compared in order; the first one that differs, or the first one only one parser found, decides:
 *   - we-reject: our parser refused (with `ours`, its reason) what llhttp took, or took further;
 *   - we-accept: llhttp refused (with `theirs`, its HPE_ code) what our parser took;
 *   - we-wait:   our parser is still waiting for the rest of a line llhttp already refused;
 *   - differ:    both took a message but disagree on `field` (a head field, or where the body ends), or one
 *                stopped reading HTTP where the other went on.
 * Two parsers that refuse the same message, even for different reasons at different bytes, agree.
 */
import type { Message, Transcript } from './transcript';

export type Divergence =
  | { kind: 'we-reject'; index: number; ours: string; theirMessage: Message | undefined }
  | { kind: 'we-accept'; index: number; theirs: string; ourMessage: Message | undefined }
  | { kind: 'we-wait'; index: number; theirs: string }
  | { kind: 'differ'; index: number; field: keyof Message | 'end'; ourMessage: Message | undefined; theirMessage: Message | undefined };

export type Agreement = 'both-accept' | 'both-reject' | 'both-incomplete';

const HEAD_FIELDS = ['method', 'target', 'version', 'headers', 'keepAlive', 'upgrade'] as const;
const BODY_FIELDS = ['body', 'trailers', 'complete'] as const;

function firstDifference(a: Message, b: Message, fields: readonly (keyof Message)[]): keyof Message | null {
  for (const key of fields) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  }
  return null;
}

const errorCode = (t: Transcript) => (t.end.kind === 'error' ? t.end.code : null);

/** The agreement, or the first divergence, of our transcript and llhttp's for the same bytes. */
export function compare(ours: Transcript, theirs: Transcript): Agreement | Divergence {
  const shared = Math.min(ours.messages.length, theirs.messages.length);
  const oursCode = errorCode(ours);
  const theirCode = errorCode(theirs);
  for (let i = 0; i < shared; i++) {
    const o = ours.messages[i];
    const t = theirs.messages[i];
    const head = firstDifference(o, t, HEAD_FIELDS);
    if (head !== null) return { kind: 'differ', index: i, field: head, ourMessage: o, theirMessage: t };
    const body = firstDifference(o, t, BODY_FIELDS);
    if (body === null) continue;
    // A parser that refused this message's body stopped there: that explains whatever else differs.
    const oursRefused = oursCode !== null && i === ours.messages.length - 1 && !o.complete;
    const theyRefused = theirCode !== null && i === theirs.messages.length - 1 && !t.complete;
    if (oursRefused && theyRefused) return 'both-reject';
    if (oursRefused) return { kind: 'we-reject', index: i, ours: oursCode, theirMessage: t };
    if (theyRefused) return { kind: 'we-accept', index: i, theirs: theirCode, ourMessage: o };
    return { kind: 'differ', index: i, field: body, ourMessage: o, theirMessage: t };
  }
  const index = shared;
  if (ours.messages.length > shared) {
    if (theirCode !== null) return { kind: 'we-accept', index, theirs: theirCode, ourMessage: ours.messages[index] };
    return { kind: 'differ', index, field: 'end', ourMessage: ours.messages[index], theirMessage: undefined };
  }
  if (theirs.messages.length > shared) {
    if (oursCode !== null) return { kind: 'we-reject', index, ours: oursCode, theirMessage: theirs.messages[index] };
    return { kind: 'differ', index, field: 'end', ourMessage: undefined, theirMessage: theirs.messages[index] };
  }
  // The same messages: how each ended after them.
  if (oursCode !== null && theirCode !== null) return 'both-reject';
  if (oursCode !== null) return { kind: 'we-reject', index, ours: oursCode, theirMessage: undefined };
  if (theirCode !== null) {
    if (ours.end.kind === 'more') return { kind: 'we-wait', index, theirs: theirCode };
    return { kind: 'differ', index, field: 'end', ourMessage: undefined, theirMessage: undefined };
  }
  if (ours.end.kind !== theirs.end.kind) return { kind: 'differ', index, field: 'end', ourMessage: undefined, theirMessage: undefined };
  return ours.messages.some((m) => m.complete) ? 'both-accept' : 'both-incomplete';
}
