/**
 * `loyalty-triggers explain`: why one message was sent, or why not — the consent audit. The customer's
 * events are replayed alone through the same use cases on in-memory stores (./explain/trace.ts), as
 * the replay or simulation that produced the message ran them, and the occurrence's decision is shown
 * with the consent per channel at decision time and the event that granted or revoked it, quiet hours
 * and frequency-cap deferral, holdout membership (./explain/explanation.ts).
 *
 * The events come from a file (`--events`, as `replay` reads it) or from a run's directory (`--in`):
 * a replay's summary.json names its events file, window and campaign file; a simulation's names the
 * seed, customers, days and start, and the shop is generated again (it is deterministic).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import { parseCampaignPack } from '../functions/domain/campaign-pack.ts';
import type { ConsentView, Explanation, OptOutView } from './explain/explanation.ts';
import { explain } from './explain/explanation.ts';
import type { CustomerTrace, StepCause } from './explain/trace.ts';
import { newTrace, tracingRunner } from './explain/trace.ts';
import { runMemorySimulation } from './memory-simulation.ts';
import { replayEvents } from './replay.ts';

export interface ExplainIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const DEFAULT_CAMPAIGNS = new URL('../campaigns/default.yaml', import.meta.url);

export const HELP_EXPLAIN = `Usage:
  loyalty-triggers explain --customer ID --message ID (--events FILE.jsonl | --in DIR)
                           [--campaigns FILE] [--from ISO] [--until ISO] [--brand B] [--json]
      Why a message was sent, or why not: replays the customer's events alone through the engine and
      prints the occurrence's decision (issued, suppressed with its reason, converted, clawed back), its
      send time and channels, the consent per channel at decision time with the event that granted or
      revoked it, quiet-hours and frequency-cap deferral, and holdout membership. Addresses and message
      texts are never printed, only whether an address was on file.
  --message ID   a messageId (brand#customer#campaign#occurrence#channel, as in messages.jsonl), an
                 occurrence key (as in suppressed.jsonl and bonuses.jsonl), or either without the
                 leading "brand#customer#"
  --events FILE  the shop events, as replay reads them (with --from / --until as the replay had them)
  --in DIR       the output directory of a replay (its summary.json names the events file, window and
                 campaign file) or of a simulate / demo run (the shop is generated again from its seed)
  --campaigns    the campaign file the run used (default: the one the run's summary.json names, else
                 campaigns/default.yaml)
  --brand        the customer's brand when the id is used by several
  --json         the explanation as JSON
  Exit code: 0 when the occurrence was found (sent or not), 1 when there is no such occurrence or no
  event of the customer, 2 for usage errors.
`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem with the inputs (missing file, unreadable run directory): exit 1. */
class InputError extends Error {
  override name = 'InputError';
}

interface Source {
  describe: string;
  run(pack: CampaignFile, trace: CustomerTrace): Promise<unknown>;
  campaigns: string | null;
}

function instant(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO instant (got "${value}")`);
  return ms;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function eventsSource(path: string, fromMs: number | undefined, untilMs: number | undefined): Source {
  if (!isFile(path)) throw new InputError(`cannot read the events file ${path}`);
  const window = [
    fromMs === undefined ? '' : ` from ${new Date(fromMs).toISOString()}`,
    untilMs === undefined ? '' : ` until ${new Date(untilMs).toISOString()}`,
  ].join('');
  return {
    describe: `replay of ${path}${window}`,
    campaigns: null,
    run: (pack, trace) =>
      replayEvents({
        eventsPath: path,
        pack,
        runner: tracingRunner(trace),
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(untilMs === undefined ? {} : { untilMs }),
      }),
  };
}

function readSummary(dir: string): Record<string, unknown> {
  const path = join(dir, 'summary.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`cannot read ${path}: is ${dir} the output of a demo, simulate or replay run?`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new InputError(`${path} is not a JSON object`);
}

function runSource(dir: string): Source {
  const summary = readSummary(dir);
  const str = (k: string) => (typeof summary[k] === 'string' ? (summary[k] as string) : undefined);
  const num = (k: string) => (typeof summary[k] === 'number' ? (summary[k] as number) : undefined);
  // A run's campaign file, when its summary names one (`campaigns` holds the per-campaign counts).
  const campaigns = str('campaignsFile') ?? str('campaigns') ?? null;
  const runtime = str('runtime') === 'embedded' ? ' (run on the embedded stack, explained in memory)' : '';
  if (summary.command === 'replay') {
    const events = str('eventsFile');
    if (events === undefined) throw new InputError(`${dir}/summary.json names no eventsFile`);
    const source = eventsSource(events, instant(str('from'), 'from'), instant(str('until'), 'until'));
    return { ...source, describe: `${source.describe}${runtime}`, campaigns };
  }
  const customers = num('customers');
  const days = num('days');
  const seed = num('seed');
  const start = str('start');
  if (customers === undefined || days === undefined || seed === undefined || start === undefined)
    throw new InputError(
      `${dir}/summary.json is neither a replay's nor a simulation's (no customers, days, seed, start)`,
    );
  return {
    describe: `simulation of ${customers} customers over ${days} days from ${start}, seed ${seed}${runtime}`,
    campaigns,
    run: (pack, trace) =>
      runMemorySimulation({ customers, days, seed, start, pack, runner: tracingRunner(trace) }),
  };
}

function loadPack(path: string): CampaignFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`cannot read the campaign file ${path}`);
  }
  return parseCampaignPack(text, path);
}

/** Runs `explain` on a command line (the arguments after `explain`); returns the exit code. */
export async function explainMain(args: string[], io: ExplainIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`loyalty-triggers explain: ${error.message}\n\n${HELP_EXPLAIN}`);
      return 2;
    }
    io.stderr(`loyalty-triggers explain: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function run(args: string[], io: ExplainIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        customer: { type: 'string' },
        message: { type: 'string' },
        events: { type: 'string' },
        in: { type: 'string' },
        campaigns: { type: 'string' },
        from: { type: 'string' },
        until: { type: 'string' },
        brand: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    io.stdout(HELP_EXPLAIN);
    return 0;
  }
  const text = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const customer = text('customer');
  const message = text('message');
  if (customer === undefined || customer === '') throw new UsageError('--customer ID is required');
  if (message === undefined || message === '') throw new UsageError('--message ID is required');
  const events = text('events');
  const dir = text('in');
  if ((events === undefined) === (dir === undefined))
    throw new UsageError('give either --events FILE.jsonl or --in DIR (the output directory of a run)');
  if (dir !== undefined && (text('from') !== undefined || text('until') !== undefined))
    throw new UsageError('--from and --until go with --events (a run directory has its own window)');
  const source =
    events !== undefined
      ? eventsSource(events, instant(text('from'), 'from'), instant(text('until'), 'until'))
      : runSource(dir ?? '');
  const campaignsPath = text('campaigns') ?? source.campaigns;
  const pack = loadPack(campaignsPath ?? DEFAULT_CAMPAIGNS.pathname);
  const describe = `${source.describe}; campaigns ${campaignsPath ?? 'campaigns/default.yaml (the default)'}`;
  const brand = text('brand') ?? null;
  const trace = newTrace(customer, brand);
  await source.run(pack, trace);
  const explanation = explain({ trace, pack, query: message, brand, source: describe });
  io.stdout(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return explanation.found ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Text output

function causeText(cause: StepCause): string {
  switch (cause.kind) {
    case 'event':
      return `on event ${cause.eventId} (${cause.detailType} at ${cause.eventTime})`;
    case 'evaluation':
      return 'at a scheduled evaluation (dispatcher run)';
    case 'sweep':
      return 'at the nightly sweep';
  }
}

function consentLine(c: ConsentView): string {
  const state = c.state === 'none' ? 'no consent on record' : c.state;
  const by =
    c.eventId === null
      ? ''
      : ` at ${c.at} by event ${c.eventId}${c.eventType === null ? '' : ` (${c.eventType})`}`;
  return `    ${c.channel.padEnd(6)} ${state}${by}; address on file: ${c.address ? 'yes' : 'no'}\n`;
}

function optOutLine(o: OptOutView): string {
  if (o.state === 'none') return '    all    no global opt-out on record\n';
  const by = ` at ${o.at} by event ${o.eventId}${o.eventType === null ? '' : ` (${o.eventType})`}`;
  return `    all    ${o.state === 'opted-out' ? 'opted out of all messages' : 'opted back in'}${by}\n`;
}

export function formatExplanation(e: Explanation): string {
  let out = `${e.query}\n  ${e.verdict.summary}\n\n`;
  out += `  customer ${e.customerId}${e.brand === null ? '' : ` (brand ${e.brand})`}\n`;
  if (e.campaign !== null) {
    const c = e.campaign;
    out +=
      `  campaign ${c.id} "${c.name}": ${c.trigger} trigger, channels ${c.channels.join(' → ') || 'none'}` +
      ` (delivery ${c.delivery}), priority ${c.priority}${c.capped ? '' : ', not capped'}` +
      `${c.holdoutPercent > 0 ? `, holdout ${c.holdoutPercent}%` : ''}\n`;
  }
  if (!e.found) {
    out += `  occurrence ${e.occurrenceKey ?? e.query}: not decided in the run\n`;
    if (e.occurrences.length > 0) {
      out += `\n  the customer's occurrences in the run:\n`;
      for (const o of e.occurrences) {
        const detail = o.status === 'issued' ? o.channels.join(', ') || 'no message' : (o.reason ?? '');
        out += `    ${o.occurrenceKey}  ${o.status}${detail === '' ? '' : ` (${detail})`} at ${o.at}\n`;
      }
    }
    return `${out}\n  run: ${runLine(e.run)}\n`;
  }
  const d = e.decision;
  const t = d.timing;
  out += `  occurrence ${e.occurrenceKey}: ${e.status}\n\n`;
  out += `  decision: ${d.status} at ${d.at} ${causeText(d.cause)}\n`;
  if (d.reason !== null) out += `    reason: ${d.reason}: ${d.reasonText ?? ''}\n`;
  if (d.points > 0) out += `    reward: ${d.points} points\n`;
  if (d.offer !== null) out += `    offer: ${d.offer.code}, valid until ${d.offer.expiresAt}\n`;
  const values = Object.entries(d.variables);
  if (values.length > 0) out += `    values: ${values.map(([k, v]) => `${k}=${v}`).join(', ')}\n`;
  for (const h of e.history.slice(1)) {
    out += `    then ${h.status} at ${h.at} ${causeText(h.cause)}${h.orderId === null ? '' : ` (order ${h.orderId})`}\n`;
  }
  out += '\n  timing:\n';
  out += `    due ${t.dueAt}, earliest ${t.desiredAt}, valid until ${t.validUntil} (customer's zone ${t.zone})\n`;
  out +=
    t.sendAt === null
      ? '    no send time (no message)\n'
      : `    send at ${t.sendAt} (${t.sendAtLocal} local) on ${d.channels.join(', ')}\n`;
  const q = t.quietHours;
  const quiet = `${q.start}:00–${q.end}:00 local for ${q.channels.join(', ') || 'no channel'}`;
  out += !q.apply
    ? `    quiet hours (${quiet}): do not apply to these channels\n`
    : q.desiredWasQuiet
      ? `    quiet hours (${quiet}): the earliest time was quiet; allowed from ${q.allowedFrom ?? '?'}\n`
      : `    quiet hours (${quiet}): the earliest time was allowed\n`;
  const cap = t.frequencyCap;
  out += !cap.capped
    ? '    frequency cap: the campaign is not capped\n'
    : `    frequency cap (${cap.count} per ${cap.days} days): ${cap.deferred ? 'deferred by the cap' : 'not deferred'}` +
      `${cap.nearbySends.length > 0 ? `; capped sends nearby: ${cap.nearbySends.map((s) => `${s.occurrenceKey} at ${s.sendAt}`).join(', ')}` : ''}\n`;
  out += '\n  consent at decision time:\n';
  for (const c of d.consents) out += consentLine(c);
  out += optOutLine(d.optOut);
  const h = d.holdout;
  out += '\n  holdout:\n';
  out += `    global   ${h.global.member ? 'member' : 'not a member'} (bucket ${h.global.bucket.toFixed(2)}, holdout ${h.global.percent}%)\n`;
  out += `    campaign ${h.campaign.member ? 'member' : 'not a member'} (bucket ${h.campaign.bucket.toFixed(2)}, holdout ${h.campaign.percent}%)\n`;
  if (e.messages.length > 0) {
    out += '\n  messages queued:\n';
    for (const m of e.messages)
      out += `    ${m.messageId}  send at ${m.sendAt}, queued ${m.createdAt}, template ${m.template}\n`;
  }
  return `${out}\n  run: ${runLine(e.run)}\n`;
}

function runLine(r: Explanation['run']): string {
  return `${r.source}; ${r.startAt} – ${r.endAt}; ${r.customerEvents} of the customer's events among ${r.events}`;
}
