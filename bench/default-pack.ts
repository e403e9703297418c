/** The default campaign pack (campaigns/default.yaml), as the benchmarks load it. */
import { readFileSync } from 'node:fs';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import { parseCampaignPack } from '../functions/domain/campaign-pack.ts';

export function loadDefaultPack(): CampaignFile {
  const path = new URL('../campaigns/default.yaml', import.meta.url);
  return parseCampaignPack(readFileSync(path, 'utf8'), 'campaigns/default.yaml');
}
