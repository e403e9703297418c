/**
 * Security from the synthesized templates, for every stage: encryption at rest on every table and
 * queue, an alarm on every queue where messages come to rest (dead-letter queues, the rule's and the
 * stream's failure destinations, the terminal queues), and roles that carry nothing besides the
 * per-function statements iam.test.ts checks action by action (no managed policies, no inline
 * policies on the role, assumable by their service only).
 *
 * What "encrypted" means here:
 * - DynamoDB: `SSESpecification: { SSEEnabled: true }` with no key id and no SSE type, i.e. SSE-KMS with
 *   the AWS managed key `alias/aws/dynamodb` in the account (CloudTrail shows its use; no key to manage).
 *   Without `SSESpecification` a table would still be encrypted, with an AWS owned key the account can
 *   neither see nor audit: the test rejects that.
 * - SQS: `SqsManagedSseEnabled: true`, i.e. SSE-SQS with keys owned and rotated by SQS (no KMS charges,
 *   and no key policy the EventBridge rule and the event source mappings would need grants on).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_IDS } from '../../functions/adapters/dynamodb/tables.ts';
import type { Stage } from '../../lib/config/stages.ts';
import { STAGES } from '../../lib/config/stages.ts';
import { QUEUE_IDS, QUEUES } from '../../lib/wiring.ts';
import { buildTestEngine, cleanUp } from './support.ts';

afterAll(cleanUp);

type Resources = Record<string, { Properties?: Record<string, unknown> } & Record<string, unknown>>;

interface Templates {
  data: Template;
  service: Template;
}

const templates = new Map<Stage, Templates>();

beforeAll(() => {
  for (const stage of STAGES) {
    const { engine } = buildTestEngine({ stage });
    templates.set(stage, {
      data: Template.fromStack(engine.data),
      service: Template.fromStack(engine.service),
    });
  }
});

function of(stage: Stage): Templates {
  const t = templates.get(stage);
  if (t === undefined) throw new Error(`no templates for ${stage}`);
  return t;
}

/**
 * The data-stack logical id a value points at: `{ Fn::GetAtt: [id, attr] }` in the same stack, or the
 * `Fn::ImportValue` of the data stack's export of it from the service stack. Null for anything else.
 */
function targetOf(value: unknown, data: Template, attribute: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === attribute && typeof getAtt[0] === 'string') return getAtt[0];
  const imported = (value as Record<string, unknown>)['Fn::ImportValue'];
  if (typeof imported !== 'string') return null;
  const outputs = data.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
  for (const output of Object.values(outputs ?? {})) {
    if (output.Export?.Name === imported) return targetOf(output.Value, data, attribute);
  }
  return null;
}

/** Queues where messages stop: nothing redrives them, or something names them as a failure destination. */
function restingQueues(t: Templates): Map<string, string> {
  const queues = t.data.findResources('AWS::SQS::Queue') as Resources;
  const resting = new Map<string, string>();
  const add = (id: string | null, why: string) => {
    expect(id, why).not.toBeNull();
    if (id !== null && !resting.has(id)) resting.set(id, why);
  };
  for (const [id, queue] of Object.entries(queues)) {
    const redrive = queue.Properties?.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined;
    if (redrive === undefined) add(id, 'no redrive policy');
    else add(targetOf(redrive.deadLetterTargetArn, t.data, 'Arn'), `dead-letter queue of ${id}`);
  }
  for (const [id, rule] of Object.entries(t.data.findResources('AWS::Events::Rule') as Resources)) {
    for (const target of (rule.Properties?.Targets ?? []) as { DeadLetterConfig?: { Arn: unknown } }[]) {
      if (target.DeadLetterConfig !== undefined)
        add(targetOf(target.DeadLetterConfig.Arn, t.data, 'Arn'), `dead-letter queue of rule ${id}`);
    }
  }
  const mappings = t.service.findResources('AWS::Lambda::EventSourceMapping') as Resources;
  for (const [id, mapping] of Object.entries(mappings)) {
    const destination = (mapping.Properties?.DestinationConfig as { OnFailure?: { Destination: unknown } })
      ?.OnFailure?.Destination;
    if (destination !== undefined)
      add(targetOf(destination, t.data, 'Arn'), `on-failure destination of ${id}`);
  }
  return resting;
}

describe.each(STAGES)('%s stage', (stage) => {
  it('encrypts every DynamoDB table with the AWS managed KMS key (SSE-KMS, alias/aws/dynamodb)', () => {
    const tables = of(stage).data.findResources('AWS::DynamoDB::Table') as Resources;
    expect(Object.keys(tables)).toHaveLength(TABLE_IDS.length);
    for (const [id, table] of Object.entries(tables)) {
      expect(table.Properties?.SSESpecification, id).toEqual({ SSEEnabled: true });
    }
  });

  it('encrypts every SQS queue, dead-letter queues included, with SSE-SQS', () => {
    const queues = of(stage).data.findResources('AWS::SQS::Queue') as Resources;
    const dlqs = QUEUE_IDS.filter((id) => QUEUES[id].maxReceiveCount !== null).length;
    expect(Object.keys(queues)).toHaveLength(QUEUE_IDS.length + dlqs);
    for (const [id, queue] of Object.entries(queues)) {
      const p = queue.Properties ?? {};
      // Either SSE-SQS or a KMS key; this app uses SSE-SQS everywhere.
      expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined, id).toBe(true);
      expect(p.SqsManagedSseEnabled, id).toBe(true);
    }
    // The service stack owns no queue of its own (all data lives in the data stack).
    of(stage).service.resourceCountIs('AWS::SQS::Queue', 0);
    of(stage).service.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('alarms on every dead-letter queue, failure destination and terminal queue (depth > 0)', () => {
    const t = of(stage);
    const resting = restingQueues(t);
    // 6 DLQs + rejected + relayFailures; the rule's DLQ and the stream's destination are among them.
    expect(resting.size).toBe(8);
    const alarms = Object.values(t.service.findResources('AWS::CloudWatch::Alarm') as Resources).filter(
      (a) => a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    const topics = Object.keys(t.service.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const alarmed = new Map<string, number>();
    for (const alarm of alarms) {
      const p = alarm.Properties ?? {};
      expect(p).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: topics[0] }],
      });
      const dims = p.Dimensions as { Name: string; Value: unknown }[];
      expect(dims).toHaveLength(1);
      expect(dims[0]?.Name).toBe('QueueName');
      const queue = targetOf(dims[0]?.Value, t.data, 'QueueName');
      if (queue !== null) alarmed.set(queue, (alarmed.get(queue) ?? 0) + 1);
    }
    for (const [queue, why] of resting) expect(alarmed.get(queue), `${queue} (${why})`).toBe(1);
  });

  it('sends the alarms to a KMS-encrypted topic', () => {
    const t = of(stage).service;
    const keys = t.findResources('AWS::KMS::Key') as Resources;
    for (const topic of Object.values(t.findResources('AWS::SNS::Topic') as Resources)) {
      const key = topic.Properties?.KmsMasterKeyId as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const keyId = key?.['Fn::GetAtt']?.[0] ?? '';
      expect(keys[keyId]?.Properties?.EnableKeyRotation).toBe(true);
    }
  });

  it('gives roles nothing but their own policies: no managed policies, no inline role policies', () => {
    const roles = of(stage).service.findResources('AWS::IAM::Role') as Resources;
    // One per function and one per schedule.
    expect(Object.keys(roles)).toHaveLength(8);
    for (const [id, role] of Object.entries(roles)) {
      const p = role.Properties ?? {};
      expect(p.ManagedPolicyArns, id).toBeUndefined();
      expect(p.Policies, id).toBeUndefined();
      const trust = (p.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      expect(trust, id).toHaveLength(1);
      const service = (trust[0]?.Principal as { Service?: unknown } | undefined)?.Service;
      expect(['lambda.amazonaws.com', 'scheduler.amazonaws.com'], id).toContain(service);
    }
    of(stage).data.resourceCountIs('AWS::IAM::Role', 0);
  });
});
