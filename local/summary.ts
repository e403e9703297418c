/**
 * Per-campaign counters for a run: what fired, on which channels, the points it cost and why the rest
 * was suppressed. Fed by the occurrence records each customer write stored and by the messages
 * queued; printed as a table and written as `summary.json`.
 */
import type { Channel, OccurrenceRecord } from '../functions/domain/customer-state.ts';
import type { Message } from '../functions/domain/message.ts';

export interface CampaignSummary {
  campaignId: string;
  trigger: string;
  fired: number;
  messages: Record<Channel, number>;
  points: number;
  deferred: number;
  converted: number;
  suppressed: Record<string, number>;
}

type Counts = Omit<CampaignSummary, 'campaignId' | 'trigger'>;

function zeroCounts(): Counts {
  return {
    fired: 0,
    messages: { email: 0, sms: 0, push: 0 },
    points: 0,
    deferred: 0,
    converted: 0,
    suppressed: {},
  };
}

export class RunSummary {
  readonly campaigns = new Map<string, CampaignSummary>();

  private of(campaignId: string, trigger: string): CampaignSummary {
    let s = this.campaigns.get(campaignId);
    if (s === undefined) {
      s = { campaignId, trigger, ...zeroCounts() };
      this.campaigns.set(campaignId, s);
    }
    return s;
  }

  /** Registers campaigns up front so the table lists those that never fired too. */
  register(campaigns: readonly { id: string; trigger: { type: string } }[]): void {
    for (const c of campaigns) this.of(c.id, c.trigger.type);
  }

  /** An occurrence record a customer write stored (new, or rewritten with a new status). */
  recordOccurrence(occ: OccurrenceRecord): void {
    const s = this.of(occ.campaignId, occ.trigger);
    if (occ.status === 'converted') {
      s.converted += 1;
      s.points += occ.points;
    } else if (occ.status === 'suppressed') {
      const reason = occ.reason ?? 'unknown';
      s.suppressed[reason] = (s.suppressed[reason] ?? 0) + 1;
    } else if (occ.status === 'issued') {
      s.fired += 1;
      s.points += occ.points;
      if (occ.deferred) s.deferred += 1;
      if (occ.reason !== null) {
        const reason = `message:${occ.reason}`;
        s.suppressed[reason] = (s.suppressed[reason] ?? 0) + 1;
      }
    }
  }

  /** A message queued on its channel's queue. */
  recordMessage(m: Message): void {
    this.of(m.campaignId, m.trigger).messages[m.channel] += 1;
  }

  rows(): CampaignSummary[] {
    return [...this.campaigns.values()];
  }

  totals(): Counts {
    return totalsOf(this.campaigns.values());
  }
}

/** The counts of all rows added up. */
export function totalsOf(rows: Iterable<Counts>): Counts {
  const t = zeroCounts();
  for (const s of rows) {
    t.fired += s.fired;
    t.points += s.points;
    t.deferred += s.deferred;
    t.converted += s.converted;
    for (const c of ['email', 'sms', 'push'] as const) t.messages[c] += s.messages[c];
    for (const [r, n] of Object.entries(s.suppressed)) t.suppressed[r] = (t.suppressed[r] ?? 0) + n;
  }
  return t;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The per-campaign rows of a summary.json (`campaigns`), read leniently: a missing count is 0, a row
 * without a campaign id is left out (a hand-edited or older file still prints).
 */
export function campaignSummariesFromJson(value: unknown): CampaignSummary[] {
  if (!Array.isArray(value)) return [];
  const rows: CampaignSummary[] = [];
  for (const raw of value) {
    if (!isObject(raw) || typeof raw.campaignId !== 'string') continue;
    const messages = isObject(raw.messages) ? raw.messages : {};
    const suppressed: Record<string, number> = {};
    if (isObject(raw.suppressed))
      for (const [reason, n] of Object.entries(raw.suppressed)) suppressed[reason] = count(n);
    rows.push({
      campaignId: raw.campaignId,
      trigger: typeof raw.trigger === 'string' ? raw.trigger : '',
      fired: count(raw.fired),
      messages: { email: count(messages.email), sms: count(messages.sms), push: count(messages.push) },
      points: count(raw.points),
      deferred: count(raw.deferred),
      converted: count(raw.converted),
      suppressed,
    });
  }
  return rows;
}

function pad(value: string | number, width: number, left = false): string {
  const s = String(value);
  return left ? s.padEnd(width) : s.padStart(width);
}

/** A fixed-width table, one line per campaign, then the totals. */
export function formatTable(summary: RunSummary): string {
  return formatRows(summary.rows());
}

/** The same table from rows (a summary.json's `campaigns`, read by `campaignSummariesFromJson`). */
export function formatRows(rows: readonly CampaignSummary[]): string {
  const head = `${pad('campaign', 26, true)} ${pad('trigger', 19, true)} ${pad('fired', 6)} ${pad('email', 6)} ${pad('sms', 5)} ${pad('push', 5)} ${pad('points', 9)} ${pad('deferred', 8)} ${pad('conv', 5)}  suppressed by reason`;
  const lines = [head, '-'.repeat(head.length + 10)];
  const line = (id: string, trigger: string, s: Counts) => {
    const reasons = Object.entries(s.suppressed)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    return `${pad(id, 26, true)} ${pad(trigger, 19, true)} ${pad(s.fired, 6)} ${pad(s.messages.email, 6)} ${pad(s.messages.sms, 5)} ${pad(s.messages.push, 5)} ${pad(s.points, 9)} ${pad(s.deferred, 8)} ${pad(s.converted, 5)}  ${reasons || '-'}`;
  };
  for (const s of rows) lines.push(line(s.campaignId, s.trigger, s));
  lines.push('-'.repeat(head.length + 10));
  lines.push(line('TOTAL', '', totalsOf(rows)));
  return lines.join('\n');
}
