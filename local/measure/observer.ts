/**
 * The measurement as a run observer: both runtimes hand every valid shop event, occurrence change,
 * queued message, suppression and ledger entry to their `RunRecorder`, which passes them on here in
 * time order, so `simulate` and `replay` measure every campaign while they run.
 *
 * The recorder calls `event` before the engine sees the event, so an order is never attributed to a
 * message it triggered itself (feed.ts).
 */
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { OccurrenceChange } from '../../functions/domain/occurrence-changes.ts';
import type { RunObserver, SuppressedRecord } from '../run-recorder.ts';
import type { MeasuredCampaign, MeasureOptions, MeasureResults } from './attribution.ts';
import { CampaignMeasurement } from './attribution.ts';
import { feedEvent, feedLedger, feedMessage } from './feed.ts';

export class MeasurementObserver implements RunObserver {
  readonly measure: CampaignMeasurement;

  constructor(campaigns: readonly MeasuredCampaign[], options: MeasureOptions = {}) {
    this.measure = new CampaignMeasurement(campaigns, options);
  }

  event(event: DomainEvent): void {
    feedEvent(this.measure, event);
  }

  /** Issued occurrences are counted here; conversions and claw-backs move the figures through orders. */
  occurrence(change: OccurrenceChange): void {
    const occ = change.occurrence;
    if (occ.status === 'issued') this.measure.issued({ campaignId: occ.campaignId, deferred: occ.deferred });
  }

  message(message: Message): void {
    feedMessage(this.measure, message);
  }

  /** Counted by reason; holdouts become control touches. */
  suppressed(record: SuppressedRecord): void {
    this.measure.suppressed(record);
  }

  bonus(entry: LedgerEntry): void {
    feedLedger(this.measure, entry);
  }

  results(): MeasureResults {
    return this.measure.results();
  }
}
