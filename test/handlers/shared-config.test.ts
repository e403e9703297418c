import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CAMPAIGNS_FILE,
  loadEngineContext,
  parseReplenishmentModel,
  ReplenishmentModelError,
} from '../../functions/shared/engine-context.ts';
import {
  channelQueueUrls,
  InvalidEnvError,
  intEnv,
  MissingEnvError,
  requireEnv,
} from '../../functions/shared/env.ts';

describe('env', () => {
  it('throws naming the missing variable', () => {
    expect(() => requireEnv('WORK_QUEUE_URL', {})).toThrow(new MissingEnvError('WORK_QUEUE_URL'));
    expect(() => requireEnv('WORK_QUEUE_URL', { WORK_QUEUE_URL: '' })).toThrow('WORK_QUEUE_URL is not set');
    expect(() => channelQueueUrls({ EMAIL_QUEUE_URL: 'e', SMS_QUEUE_URL: 's' })).toThrow('PUSH_QUEUE_URL');
  });

  it('reads integers with a fallback and rejects anything else', () => {
    expect(intEnv('BATCH_CONCURRENCY', 10, {})).toBe(10);
    expect(intEnv('BATCH_CONCURRENCY', 10, { BATCH_CONCURRENCY: '4' })).toBe(4);
    expect(() => intEnv('BATCH_CONCURRENCY', 10, { BATCH_CONCURRENCY: 'four' })).toThrow(InvalidEnvError);
  });
});

describe('loadEngineContext', () => {
  it('loads the default campaign pack and no replenishment model when none is configured', () => {
    const ctx = loadEngineContext({});
    expect(DEFAULT_CAMPAIGNS_FILE).toMatch(/campaigns\/default.yaml$/);
    expect(ctx.pack.campaigns.length).toBeGreaterThan(10);
    expect(ctx.model).toBeNull();
  });

  it('fails naming the file when the campaign file is missing', () => {
    expect(() => loadEngineContext({ CAMPAIGNS_FILE: '/nonexistent/campaigns.yaml' })).toThrow(
      '/nonexistent/campaigns.yaml',
    );
  });

  it('rejects a model file that is not a fitted model', () => {
    expect(() => parseReplenishmentModel('{"skus":', 'model.json')).toThrow(ReplenishmentModelError);
    expect(() =>
      parseReplenishmentModel('{"skus":{},"global":{"season":[1]},"params":{}}', 'model.json'),
    ).toThrow('global.season must list 12 monthly factors');
  });
});
