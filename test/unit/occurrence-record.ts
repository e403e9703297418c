/**
 * An issued occurrence record for tests, every field a test does not name at a neutral value (one
 * email channel, no points, no offer, no reason); a test names its campaign, trigger and decision time.
 */
import type { OccurrenceRecord } from '../../functions/domain/customer-state.ts';

export function occurrenceRecord(
  fields: Pick<OccurrenceRecord, 'campaignId' | 'trigger' | 'at'> & Partial<OccurrenceRecord>,
): OccurrenceRecord {
  return {
    status: 'issued',
    sendAt: fields.at,
    channels: ['email'],
    points: 0,
    reason: null,
    orderId: null,
    capped: true,
    deferred: false,
    offer: null,
    offers: [],
    variables: {},
    onceEver: false,
    ...fields,
  };
}
