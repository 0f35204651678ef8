// The server's request parser (through lib/http/server/parser.ts, as the server uses it) against Node's own parser,
// llhttp, on the same bytes: generated valid requests, the known smuggling cases, systematic single-byte mutations
// and the fuzz corpus. Where both take a message they must read it the same way (method, target, version, every
// field, keep-alive and upgrade, body bytes, trailers, where it ends); every other divergence must be one of the
// intentional differences in test/http/differential/differences.ts, and each of those must still occur.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { compare, type Agreement, type Divergence } from './differential/compare';
import { INTENTIONAL_DIFFERENCES, type Context } from './differential/differences';
import { corpusInputs, generatedInputs, mutatedInputs, mutationBases, smugglingInputs, type Input } from './differential/inputs';
import { llhttpTranscript, llhttpVersion } from './differential/llhttp';
import type { Message } from './differential/transcript';
import { oursTranscript } from './differential/ours';

const CORPUS = join(__dirname, '..', '..', '..', 'test', 'native', 'fuzz', 'corpus');

interface Outcome {
  input: Input;
  result: Agreement | Divergence;
  /** The intentional difference that explains a divergence; null if none does. */
  explainedBy: string | null;
}

function agree(bytes: Buffer): boolean {
  return typeof compare(oursTranscript(bytes), llhttpTranscript(bytes)) === 'string';
}

function judge(input: Input): Outcome {
  const ours = oursTranscript(input.bytes);
  const theirs = llhttpTranscript(input.bytes);
  const result = compare(ours, theirs);
  if (typeof result === 'string') return { input, result, explainedBy: null };
  const context: Context = { input: input.bytes, ours, theirs, agreeOn: agree, oursOn: (b) => oursTranscript(b) };
  const match = INTENTIONAL_DIFFERENCES.find((d) => d.matches(result, context));
  return { input, result, explainedBy: match?.id ?? null };
}

function show(bytes: Buffer): string {
  const text = JSON.stringify(bytes.toString('latin1'));
  return text.length > 300 ? `${text.slice(0, 300)}..."` : text;
}

function describeResult(result: Agreement | Divergence): string {
  return typeof result === 'string' ? result : describeDivergence(result);
}

function describeDivergence(d: Divergence): string {
  const field = (m: Message | undefined) => JSON.stringify(m?.[d.kind === 'differ' ? (d.field as keyof Message) : 'method']);
  switch (d.kind) {
    case 'we-reject': return `message ${d.index}: we refuse (${d.ours}), llhttp ${d.theirMessage ? 'takes it' : 'waits or stops'}`;
    case 'we-accept': return `message ${d.index}: llhttp refuses (${d.theirs}), we take it`;
    case 'we-wait': return `after message ${d.index}: llhttp refuses (${d.theirs}), we wait for more`;
    case 'differ':
      return `message ${d.index}: both take it, ${d.field} differs: ours ${field(d.ourMessage)}, llhttp ${field(d.theirMessage)}`;
  }
}

describe(`http parser: differential test against Node's llhttp ${llhttpVersion}`, () => {
  const sets: [string, () => Input[]][] = [
    ['generated', generatedInputs],
    ['smuggling', smugglingInputs],
    ['mutations', () => mutatedInputs(mutationBases())],
    ['fuzz corpus', () => corpusInputs(CORPUS)],
  ];
  const outcomes = new Map<string, Outcome[]>();

  before(() => {
    for (const [name, make] of sets) outcomes.set(name, make().map(judge));
  });

  after(() => {
    // The summary: how many inputs, how they came out, and which intentional differences explained how many.
    const all = [...outcomes.values()].flat();
    const count = (f: (o: Outcome) => boolean) => all.filter(f).length;
    const lines = [
      `${all.length} inputs (${[...outcomes].map(([n, o]) => `${n} ${o.length}`).join(', ')})`,
      `both accept ${count((o) => o.result === 'both-accept')}, both reject ${count((o) => o.result === 'both-reject')}, ` +
        `both incomplete ${count((o) => o.result === 'both-incomplete')}, ` +
        `intentional differences ${count((o) => o.explainedBy !== null)}, ` +
        `unexplained ${count((o) => typeof o.result !== 'string' && o.explainedBy === null)}`,
      ...INTENTIONAL_DIFFERENCES.map((d) => `  ${d.kind.padEnd(16)} ${d.id.padEnd(28)} ${count((o) => o.explainedBy === d.id)}`),
    ];
    console.log(lines.map((l) => `      ${l}`).join('\n'));
  });

  it('reads every generated valid request as llhttp does: head, fields, keep-alive, body, trailers, pipelining', () => {
    const generated = outcomes.get('generated') ?? [];
    assert.ok(generated.length > 1000, `only ${generated.length} generated inputs`);
    const differing = generated.filter((o) => o.result !== 'both-accept' && o.result !== 'both-incomplete');
    assert.deepEqual(differing.map((o) => `${o.input.name}: ${describeResult(o.result)}`), []);
    assert.ok(generated.filter((o) => o.result === 'both-accept').length > 1000);
  });

  it('explains every divergence on the smuggling cases, the mutations and the fuzz corpus by an intentional difference', () => {
    const unexplained = [...outcomes.values()].flat().filter((o) => typeof o.result !== 'string' && o.explainedBy === null);
    const report = unexplained.slice(0, 25)
      .map((o) => `${o.input.name}\n    ${describeResult(o.result)}\n    ${show(o.input.bytes)}`);
    assert.equal(unexplained.length, 0, `${unexplained.length} unexplained divergences, the first:\n${report.join('\n')}`);
  });

  it('never takes a request in a way llhttp refuses except where the list says why that is safe', () => {
    const accepted = [...outcomes.values()].flat().filter((o) => typeof o.result !== 'string' && o.result.kind !== 'we-reject');
    const allowed = new Set(INTENTIONAL_DIFFERENCES.filter((d) => d.kind !== 'we-reject').map((d) => d.id));
    for (const o of accepted) assert.ok(o.explainedBy !== null && allowed.has(o.explainedBy), o.input.name);
  });

  it('refuses the classic smuggling requests outright', () => {
    const smuggling = new Map((outcomes.get('smuggling') ?? []).map((o) => [o.input.name.replace(/^smuggling: /, ''), o]));
    for (const name of ['CL.TE', 'TE.CL', 'duplicate Content-Length, different', 'Content-Length list, different',
      'TE space before the colon', 'TE obs-folded', 'TE chunked then gzip', 'TE chunked on two lines', 'obs-fold',
      'bare LF ending a field', 'chunk size overflowing 64 bits', 'chunk extension with a quoted CRLF',
      'chunk data longer than its size']) {
      const outcome = smuggling.get(name);
      assert.ok(outcome !== undefined, `no smuggling case named ${name}`);
      const refused = outcome.result === 'both-reject' || (typeof outcome.result !== 'string' && outcome.result.kind === 'we-reject');
      assert.ok(refused, `${name}: ${describeResult(outcome.result)}`);
    }
  });

  it('still sees each intentional difference (the list has nothing stale in it)', () => {
    const seen = new Set([...outcomes.values()].flat().map((o) => o.explainedBy));
    assert.deepEqual(INTENTIONAL_DIFFERENCES.map((d) => d.id).filter((id) => !seen.has(id)), []);
  });
});
