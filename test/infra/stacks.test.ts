import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, TABLE_IDS, TABLES, tableNames } from '../../functions/adapters/dynamodb/tables.ts';
import { DETAIL_TYPES } from '../../functions/domain/events.ts';
import { CAMPAIGN_DIMENSIONS, CAMPAIGN_METRICS } from '../../functions/shared/campaign-metrics.ts';
import { ENGINE_METRICS, searchExpression } from '../../lib/constructs/observability.ts';
import { buildTestEngine, cleanUp } from './support.ts';

let data: Template;
let service: Template;

beforeAll(() => {
  const { engine } = buildTestEngine();
  data = Template.fromStack(engine.data);
  service = Template.fromStack(engine.service);
});
afterAll(cleanUp);

/** The logical id of the only resource of `type` whose properties match `props`. */
function logicalId(template: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0] ?? '';
}

describe('stateful stack', () => {
  it('builds every table from the tables.ts definitions', () => {
    const names = tableNames('loyalty-triggers-dev');
    data.resourceCountIs('AWS::DynamoDB::Table', TABLE_IDS.length);
    for (const id of TABLE_IDS) {
      const input = createTableInput(names[id], TABLES[id]);
      const ttl = TABLES[id].timeToLiveAttribute;
      data.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: names[id],
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: input.KeySchema,
        AttributeDefinitions: Match.arrayWith(input.AttributeDefinitions ?? []),
        GlobalSecondaryIndexes: Match.absent(),
        StreamSpecification:
          TABLES[id].stream === null ? Match.absent() : { StreamViewType: TABLES[id].stream },
        TimeToLiveSpecification: ttl === null ? Match.absent() : { AttributeName: ttl, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('keeps dev tables deletable and prod tables protected', () => {
    data.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    const { engine } = buildTestEngine({ stage: 'prod' });
    const prod = Template.fromStack(engine.data);
    const tables = prod.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('encrypts every queue, enforces TLS and gives consumed queues a DLQ', () => {
    const queues = data.findResources('AWS::SQS::Queue');
    for (const queue of Object.values(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    data.resourceCountIs('AWS::SQS::QueuePolicy', Object.keys(queues).length);
    for (const name of ['ingest', 'work', 'maintenance', 'email', 'sms', 'push']) {
      data.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `loyalty-triggers-dev-${name}`,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: Match.anyValue() },
      });
      data.hasResourceProperties('AWS::SQS::Queue', { QueueName: `loyalty-triggers-dev-${name}-dlq` });
    }
    data.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('routes the shop detail-types from the bus to the ingest queue, and archives the bus', () => {
    const ingest = logicalId(data, 'AWS::SQS::Queue', { QueueName: 'loyalty-triggers-dev-ingest' });
    data.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': [...DETAIL_TYPES] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ingest, 'Arn'] },
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: Match.anyValue(),
        }),
      ],
    });
    data.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    data.hasOutput('EventBusName', {});
    for (const q of ['Email', 'Sms', 'Push', 'Rejected']) data.hasOutput(`${q}QueueUrl`, {});
  });
});

describe('stateless stack', () => {
  it('runs every function on ARM64 Node 22 with tracing and its own log group', () => {
    const fns = service.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(6);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    service.resourceCountIs('AWS::Logs::LogGroup', 6);
    service.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('consumes the SQS queues with partial batch responses and bounded concurrency', () => {
    for (const [batch, window] of [
      [10, 0],
      [50, 2],
      [1, 0],
    ] as const) {
      service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: batch,
        ...(window === 0 ? {} : { MaximumBatchingWindowInSeconds: window }),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: Match.anyValue() },
      });
    }
  });

  it('reads the customers stream with bisect, bounded retries and an on-failure destination', () => {
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: Match.anyValue(),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      ParallelizationFactor: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    // The stats λ: 15-minute tumbling windows, which Lambda allows only with parallelization factor 1.
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: Match.anyValue(),
      // From the stream's tip: an upgraded stack's relay already counted the last 24 hours.
      StartingPosition: 'LATEST',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 60,
      TumblingWindowInSeconds: 900,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('schedules dispatch at minute 1, 16, 31, 46 and a daily sweep', () => {
    service.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(1,16,31,46 * * * ? *)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
      }),
    });
    service.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Target: Match.objectLike({ Input: JSON.stringify({ action: 'start-sweep' }) }),
    });
  });

  it('alarms on every DLQ, function errors, throttles, the stream iterator age, queue backlogs and a late dispatcher; has a dashboard', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm'));
    const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name).length;
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toBe(8);
    expect(byMetric('Errors')).toBe(6);
    expect(byMetric('Throttles')).toBe(6);
    // The relay's and the stats λ's.
    expect(byMetric('IteratorAge')).toBe(2);
    expect(byMetric('CampaignStatsFailed')).toBe(1);
    // The queues a function consumes: ingest, work, maintenance.
    expect(byMetric('ApproximateAgeOfOldestMessage')).toBe(3);
    expect(alarms.find((a) => a.Properties.MetricName === 'DueLagSeconds')?.Properties).toMatchObject({
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 1800,
      EvaluationPeriods: 2,
    });
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    service.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    service.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('graphs every metric a handler publishes', () => {
    // Prepare: the metric names in the handlers' source (metrics.addMetric('<name>', …))
    const published = new Set<string>();
    const sources = readdirSync('functions', { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    for (const file of sources) {
      for (const m of readFileSync(join('functions', file), 'utf8').matchAll(/addMetric\('(\w+)'/g)) {
        if (m[1] !== undefined) published.add(m[1]);
      }
    }
    const [dashboard] = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    // Assess: each is on the dashboard (the per-campaign ones are graphed by the test below)
    expect(published.size).toBeGreaterThan(15);
    const graphed = new Set<string>(Object.values(ENGINE_METRICS).flat());
    for (const name of published) {
      expect(graphed.has(name), name).toBe(true);
      expect(body, name).toContain(name);
    }
  });

  it('graphs every per-campaign metric with a SEARCH, so new campaigns appear without a deploy', () => {
    const [dashboard] = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const name of Object.keys(CAMPAIGN_METRICS)) {
      const expression = searchExpression(name, CAMPAIGN_DIMENSIONS);
      expect(expression).toBe(
        `SEARCH('{LoyaltyTriggers,brand,campaign,service} MetricName="${name}"', 'Sum', 300)`,
      );
      // The body is JSON inside JSON: quotes are escaped twice.
      expect(body).toContain(JSON.stringify(JSON.stringify(expression)).slice(3, -3));
    }
    expect(body).toContain("SEARCH('{LoyaltyTriggers,reason,service} MetricName=");
  });
});
