/**
 * From a customer item's old and new image to what must leave the item: the messages of newly issued
 * occurrences and the new ledger entries. Pure, so the stream consumer (relay) is a thin adapter and a
 * redelivered stream record gives the same messages with the same ids.
 */
import type { CampaignFile } from './campaign.ts';
import { occurrenceKey } from './candidate.ts';
import type { CustomerState, LedgerEntry } from './customer-state.ts';
import type { Message } from './message.ts';
import { buildMessages } from './message.ts';
import { campaignsOf } from './schedule.ts';

export interface RelayOutput {
  messages: Message[];
  ledger: LedgerEntry[];
  /**
   * Held messages the write withdrew (a channel lost its consent or address before their send time): the
   * relay deletes them from the held store, so the dispatcher never queues them.
   */
  withdrawn: Message[];
}

export function relay(
  oldImage: CustomerState | null,
  newImage: CustomerState,
  pack: CampaignFile,
  createdAt: string,
): RelayOutput {
  const messages: Message[] = [];
  const withdrawn: Message[] = [];
  const { byId } = campaignsOf(pack, newImage.brand);
  for (const [key, occ] of Object.entries(newImage.occurrences)) {
    if (occ.status !== 'issued') continue;
    const before = oldImage?.occurrences[key];
    if (before !== undefined) {
      // The same occurrence with fewer channels: the messages of those it lost, as they were held.
      if (oldImage === null || before.status !== 'issued' || before.channels.length === occ.channels.length)
        continue;
      const campaign = byId.get(before.campaignId);
      if (campaign === undefined) continue;
      const held = buildMessages(
        oldImage,
        occurrenceKey(oldImage, key),
        before,
        campaign,
        pack.guardrails,
        createdAt,
      );
      withdrawn.push(...held.filter((m) => !occ.channels.includes(m.channel)));
      continue;
    }
    const campaign = byId.get(occ.campaignId);
    if (campaign === undefined) continue;
    messages.push(
      ...buildMessages(newImage, occurrenceKey(newImage, key), occ, campaign, pack.guardrails, createdAt),
    );
  }
  const known = new Set(oldImage?.ledger.map((e) => e.entryId) ?? []);
  const ledger = newImage.ledger.filter((e) => !known.has(e.entryId));
  return { messages, ledger, withdrawn };
}
