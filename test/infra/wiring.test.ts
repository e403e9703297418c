/** The synthesized template and lib/wiring.ts agree: functions, env, event sources, schedules. */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/app.ts';
import { envNames, FUNCTION_IDS, FUNCTIONS, QUEUES } from '../../lib/wiring.ts';
import { buildTestEngine, cleanUp } from './support.ts';

let engine: Engine;
let service: Template;

beforeAll(() => {
  engine = buildTestEngine().engine;
  service = Template.fromStack(engine.service);
});
afterAll(cleanUp);

function functionResource(fnId: (typeof FUNCTION_IDS)[number]) {
  const logicalId = engine.service.getLogicalId(
    engine.service.functions[fnId].node.defaultChild as Parameters<typeof engine.service.getLogicalId>[0],
  );
  const resources = service.findResources('AWS::Lambda::Function');
  const resource = resources[engine.service.resolve(logicalId) as string];
  expect(resource).toBeDefined();
  return { logicalId: engine.service.resolve(logicalId) as string, properties: resource?.Properties };
}

describe('template ⇄ wiring', () => {
  it('has exactly the functions of the wiring', () => {
    service.resourceCountIs('AWS::Lambda::Function', FUNCTION_IDS.length);
  });

  it.each(FUNCTION_IDS)('%s: entry settings and environment variables', (fnId) => {
    const wiring = FUNCTIONS[fnId];
    const { properties } = functionResource(fnId);
    expect(properties.Timeout).toBe(wiring.timeoutSeconds);
    expect(properties.MemorySize).toBe(wiring.memoryMb);
    const env = Object.keys(properties.Environment.Variables);
    for (const name of envNames(wiring)) expect(env).toContain(name);
  });

  it.each(FUNCTION_IDS)('%s: every trigger exists', (fnId) => {
    const { logicalId } = functionResource(fnId);
    const mappings = Object.values(
      service.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: logicalId } },
      }),
    );
    const schedules = Object.values(service.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      JSON.stringify(s.Properties.Target.Arn).includes(logicalId),
    );
    const triggers = FUNCTIONS[fnId].triggers;
    expect(mappings).toHaveLength(triggers.filter((t) => t.kind !== 'schedule').length);
    expect(schedules).toHaveLength(triggers.filter((t) => t.kind === 'schedule').length);
    for (const trigger of triggers) {
      if (trigger.kind === 'schedule') {
        expect(schedules.map((s) => s.Properties.ScheduleExpression)).toContain(
          `cron(${trigger.cron.minute} ${trigger.cron.hour} * * ? *)`,
        );
        expect(schedules.map((s) => s.Properties.Target.Input)).toContain(JSON.stringify(trigger.input));
        continue;
      }
      const source =
        trigger.kind === 'sqs'
          ? engine.data.queues[trigger.queue].queueArn
          : engine.data.tables[trigger.table].tableStreamArn;
      const arn = JSON.stringify(engine.service.resolve(source));
      const mapping = mappings.find((m) => JSON.stringify(m.Properties.EventSourceArn) === arn);
      expect(mapping, `${fnId} ${trigger.kind}`).toBeDefined();
      expect(mapping?.Properties.BatchSize).toBe(trigger.batchSize);
      expect(mapping?.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      if (trigger.kind === 'stream') {
        expect(mapping?.Properties.TumblingWindowInSeconds).toBe(
          trigger.tumblingWindowSeconds > 0 ? trigger.tumblingWindowSeconds : undefined,
        );
        // Lambda refuses a tumbling window with a parallelization factor above 1.
        if (trigger.tumblingWindowSeconds > 0) expect(trigger.parallelizationFactor).toBe(1);
      }
    }
  });

  it('gives an SQS mapping more than 10 messages a batch only with a batching window (Lambda requires it)', () => {
    for (const fnId of FUNCTION_IDS) {
      for (const t of FUNCTIONS[fnId].triggers) {
        if (t.kind === 'sqs' && t.batchSize > 10) expect(t.maxBatchingWindowSeconds, fnId).toBeGreaterThan(0);
      }
    }
  });

  it('keeps the real-time path free of batching windows (an order to its message within a second)', () => {
    const ingest = FUNCTIONS.ingest.triggers.find((t) => t.kind === 'sqs');
    const relay = FUNCTIONS.relay.triggers.find((t) => t.kind === 'stream');
    expect([ingest?.maxBatchingWindowSeconds, relay?.maxBatchingWindowSeconds]).toEqual([0, 0]);
  });

  it('reads the customers stream with at most two consumers (DynamoDB Streams throttles more)', () => {
    const readers = FUNCTION_IDS.filter((fnId) =>
      FUNCTIONS[fnId].triggers.some((t) => t.kind === 'stream' && t.table === 'customers'),
    );
    expect(readers).toEqual(['relay', 'stats']);
  });

  it('sets each queue URL variable from the queue the wiring names', () => {
    for (const fnId of FUNCTION_IDS) {
      const { properties } = functionResource(fnId);
      for (const [queueId, access] of Object.entries(FUNCTIONS[fnId].queues)) {
        const urlEnv = QUEUES[queueId as keyof typeof QUEUES].urlEnv;
        if (urlEnv === null || access === 'consume') continue;
        const url = engine.service.resolve(engine.data.queues[queueId as keyof typeof QUEUES].queueUrl);
        expect(properties.Environment.Variables[urlEnv]).toEqual(url);
      }
    }
  });
});
