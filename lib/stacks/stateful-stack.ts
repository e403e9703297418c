/**
 * Everything that holds data: the DynamoDB tables (built from functions/adapters/dynamodb/tables.ts),
 * the EventBridge bus with its archive and the rule routing shop events to the ingest queue, and the
 * SQS queues with their DLQs. Deployed separately from the functions so a code change never touches
 * data, and protected in prod (retain, deletion protection, PITR).
 *
 * The bus rule lives here, not with the functions: its SQS target writes a queue policy naming the
 * rule, which across stacks would be a dependency cycle.
 */
import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { KeyAttribute, TableId } from '../../functions/adapters/dynamodb/tables.ts';
import { TABLE_IDS, TABLES, tableNames } from '../../functions/adapters/dynamodb/tables.ts';
import type { Config, Stage } from '../config/stages.ts';
import type { BusRuleWiring, QueueId } from '../wiring.ts';
import { BUS_RULES, QUEUE_IDS, QUEUES, visibilityTimeoutSeconds } from '../wiring.ts';

/** The wiring's pattern (the event's own field names) as CDK's EventPattern (camelCase keys). */
function eventPatternOf(pattern: BusRuleWiring['pattern']): EventPattern {
  const out: Record<string, string[]> = {};
  for (const [field, values] of Object.entries(pattern)) {
    out[field.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = [...values];
  }
  return out as EventPattern;
}

export interface StatefulStackProps extends StackProps {
  readonly stage: Stage;
  readonly config: Config;
}

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

export class StatefulStack extends Stack {
  readonly tables: Readonly<Record<TableId, Table>>;
  readonly queues: Readonly<Record<QueueId, Queue>>;
  readonly deadLetterQueues: Readonly<Partial<Record<QueueId, Queue>>>;
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config, stage } = props;
    const prefix = `loyalty-triggers-${stage}`;

    const names = tableNames(prefix);
    const tables = {} as Record<TableId, Table>;
    for (const tableId of TABLE_IDS) {
      const def = TABLES[tableId];
      const table = new Table(this, `${pascal(tableId)}Table`, {
        tableName: names[tableId],
        partitionKey: attribute(def.partitionKey),
        ...(def.sortKey === undefined ? {} : { sortKey: attribute(def.sortKey) }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
        deletionProtection: config.deletionProtection,
        removalPolicy: config.removalPolicy,
        ...(def.stream === null ? {} : { stream: StreamViewType[def.stream] }),
        ...(def.timeToLiveAttribute === null ? {} : { timeToLiveAttribute: def.timeToLiveAttribute }),
      });
      tables[tableId] = table;
    }
    this.tables = tables;

    const queues = {} as Record<QueueId, Queue>;
    const dlqs: Partial<Record<QueueId, Queue>> = {};
    for (const queueId of QUEUE_IDS) {
      const wiring = QUEUES[queueId];
      const base = {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: config.removalPolicy,
      };
      let deadLetterQueue: { queue: Queue; maxReceiveCount: number } | undefined;
      if (wiring.maxReceiveCount !== null) {
        const dlq = new Queue(this, `${pascal(queueId)}Dlq`, {
          ...base,
          queueName: `${prefix}-${kebab(queueId)}-dlq`,
          retentionPeriod: Duration.days(14),
        });
        dlqs[queueId] = dlq;
        deadLetterQueue = { queue: dlq, maxReceiveCount: wiring.maxReceiveCount };
      }
      queues[queueId] = new Queue(this, `${pascal(queueId)}Queue`, {
        ...base,
        queueName: `${prefix}-${kebab(queueId)}`,
        retentionPeriod: Duration.days(wiring.retentionDays),
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(queueId)),
        ...(deadLetterQueue === undefined ? {} : { deadLetterQueue }),
      });
    }
    this.queues = queues;
    this.deadLetterQueues = dlqs;

    this.bus = new EventBus(this, 'Bus', { eventBusName: `${prefix}-events` });
    this.bus.archive('Archive', {
      archiveName: `${prefix}-events`,
      description: 'Every shop event, for replay after an outage or a campaign fix',
      eventPattern: { account: [this.account] },
      retention: config.archiveRetention,
    });
    for (const rule of BUS_RULES) {
      const dlq = dlqs[rule.queue];
      new Rule(this, `${rule.id}Rule`, {
        eventBus: this.bus,
        description: rule.description,
        eventPattern: eventPatternOf(rule.pattern),
        targets: [
          new SqsQueue(queues[rule.queue], {
            // Events EventBridge could not put on the queue land next to the ones its consumer gave up on.
            ...(dlq === undefined ? {} : { deadLetterQueue: dlq }),
            retryAttempts: rule.retryAttempts,
            maxEventAge: Duration.seconds(rule.maxEventAgeSeconds),
          }),
        ],
      });
    }

    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'PutEvents target' });
    new CfnOutput(this, 'EventBusArn', { value: this.bus.eventBusArn });
    for (const queueId of ['email', 'sms', 'push', 'rejected'] as const) {
      new CfnOutput(this, `${pascal(queueId)}QueueUrl`, {
        value: queues[queueId].queueUrl,
        description: QUEUES[queueId].description,
      });
    }
  }
}

export function pascal(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

function kebab(id: string): string {
  return id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
