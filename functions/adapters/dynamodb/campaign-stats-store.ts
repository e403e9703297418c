/**
 * Campaign stats items in the `stats` table: `pk` = `stats#<brand>#<campaignId>`, `day` = the UTC day,
 * `brand` and `campaignId` repeated for readers, and one number attribute per counter — `fired`,
 * `email`, `sms`, `push`, `points`, `deferred`, `converted`, `clawedBack`, and `suppressed:<reason>`
 * per suppression reason. Counters are flat attributes so one `ADD` creates or increments each (ADD
 * cannot create a nested path inside a map that does not exist yet).
 *
 * One UpdateItem per item per batch, never a read. A plain ADD is not idempotent: an SDK retry of a
 * write whose answer was lost would add twice. So each write also stores its batch id in one of
 * `BATCH_SLOTS` slots (`_b0`…, chosen by the id's hash) on the condition that the slot does not
 * already hold it; a repeated write fails the condition and changes nothing. A repeat goes unnoticed
 * only if another batch whose id falls in the same slot (1 in `BATCH_SLOTS`) wrote the item in between.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CampaignCounters, CampaignDayStats } from '../../domain/campaign-stats.ts';
import { sortCampaignStats, zeroCounters } from '../../domain/campaign-stats.ts';
import { CHANNELS } from '../../domain/customer-state.ts';
import type {
  CampaignStatsReader,
  CampaignStatsReport,
  CampaignStatsWriter,
} from '../../ports/campaign-stats.ts';
import { forEachLimit } from '../../shared/pool.ts';
import { isConditionFailure } from './conditional.ts';
import { STATS_ATTRS as A } from './tables.ts';

/** Slots remembering the last batch ids per item. */
export const BATCH_SLOTS = 8;

const SUPPRESSED_PREFIX = 'suppressed:';
const SCALARS = ['fired', 'points', 'deferred', 'converted', 'clawedBack'] as const;

export function statsPartitionKey(brand: string, campaignId: string): string {
  return `stats#${brand}#${campaignId}`;
}

/** FNV-1a of the batch id, to pick its slot. */
function slotOf(batchId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < batchId.length; i++) {
    h ^= batchId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % BATCH_SLOTS;
}

/** The counters as attribute name → value, zeros left out. */
export function counterAttributes(c: CampaignCounters): Map<string, number> {
  const out = new Map<string, number>();
  const put = (name: string, n: number) => {
    if (n !== 0) out.set(name, n);
  };
  for (const name of SCALARS) put(name, c[name]);
  for (const channel of CHANNELS) put(channel, c.messages[channel]);
  for (const [reason, n] of Object.entries(c.suppressed)) put(`${SUPPRESSED_PREFIX}${reason}`, n);
  return out;
}

/** The UpdateItem input adding one item's deltas under `batchId`. */
export function statsUpdateInput(tableName: string, stats: CampaignDayStats, batchId: string) {
  const names: Record<string, string> = {
    '#brand': 'brand',
    '#campaign': 'campaignId',
    '#slot': `_b${slotOf(batchId)}`,
  };
  const values: Record<string, AttributeValue> = {
    ':brand': { S: stats.brand },
    ':campaign': { S: stats.campaignId },
    ':batch': { S: batchId },
  };
  const adds: string[] = [];
  let i = 0;
  for (const [name, n] of counterAttributes(stats.counters)) {
    names[`#c${i}`] = name;
    values[`:c${i}`] = { N: String(n) };
    adds.push(`#c${i} :c${i}`);
    i++;
  }
  return {
    TableName: tableName,
    Key: {
      [A.pk]: { S: statsPartitionKey(stats.brand, stats.campaignId) },
      [A.day]: { S: stats.day },
    },
    UpdateExpression: `SET #brand = :brand, #campaign = :campaign, #slot = :batch${adds.length === 0 ? '' : ` ADD ${adds.join(', ')}`}`,
    ConditionExpression: 'attribute_not_exists(#slot) OR #slot <> :batch',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** A stats item as stored → its counters; null for an item of another shape. */
export function decodeStatsItem(item: Record<string, AttributeValue>): CampaignDayStats | null {
  const brand = item.brand?.S;
  const campaignId = item.campaignId?.S;
  const day = item[A.day]?.S;
  if (brand === undefined || campaignId === undefined || day === undefined) return null;
  const counters = zeroCounters();
  const num = (name: string) => Number(item[name]?.N ?? 0);
  for (const name of SCALARS) counters[name] = num(name);
  for (const channel of CHANNELS) counters.messages[channel] = num(channel);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(SUPPRESSED_PREFIX) && value.N !== undefined)
      counters.suppressed[name.slice(SUPPRESSED_PREFIX.length)] = Number(value.N);
  }
  return { brand, campaignId, day, counters };
}

/** Stats items written at once by one `add`. */
export const STATS_WRITE_CONCURRENCY = 8;

export class DynamoDbCampaignStats implements CampaignStatsWriter, CampaignStatsReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async add(
    deltas: readonly CampaignDayStats[],
    batchId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<CampaignStatsReport> {
    const report: CampaignStatsReport = { applied: 0, repeated: 0, failed: [] };
    const sendOptions = options.signal === undefined ? {} : { abortSignal: options.signal };
    // A window's items (campaigns × days touched), a few at a time: each request holds a listener on
    // the signal, and a window of a large pack has dozens of items.
    await forEachLimit(deltas, STATS_WRITE_CONCURRENCY, async (stats) => {
      try {
        await this.client.send(
          new UpdateItemCommand(statsUpdateInput(this.tableName, stats, batchId)),
          sendOptions,
        );
        report.applied++;
      } catch (error) {
        if (isConditionFailure(error)) report.repeated++;
        else report.failed.push({ stats, error });
      }
    });
    return report;
  }

  async campaign(
    brand: string,
    campaignId: string,
    fromDay: string,
    toDay: string,
  ): Promise<CampaignDayStats[]> {
    return this.collect(
      (start) =>
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #day BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': A.pk, '#day': A.day },
          ExpressionAttributeValues: {
            ':pk': { S: statsPartitionKey(brand, campaignId) },
            ':from': { S: fromDay },
            ':to': { S: toDay },
          },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
    );
  }

  async all(): Promise<CampaignDayStats[]> {
    const out = await this.collect(
      (start) =>
        new ScanCommand({
          TableName: this.tableName,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
    );
    return sortCampaignStats(out);
  }

  /** Every stats item of a paginated Query or Scan, page after page. */
  private async collect(
    page: (start: Record<string, AttributeValue> | undefined) => QueryCommand | ScanCommand,
  ): Promise<CampaignDayStats[]> {
    const out: CampaignDayStats[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const command = page(start);
      // A Query and a Scan answer in the same shape: Items and LastEvaluatedKey.
      const answer =
        command instanceof QueryCommand ? await this.client.send(command) : await this.client.send(command);
      for (const item of answer.Items ?? []) {
        const stats = decodeStatsItem(item);
        if (stats !== null) out.push(stats);
      }
      start = answer.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
