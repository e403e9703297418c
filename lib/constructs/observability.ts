/**
 * Alarms and the dashboard: every DLQ with a message in it, function errors and throttles, the stream
 * consumers' iterator age, campaign stats the stats λ could not write, all to one encrypted SNS topic (with
 * the stage's alarm email subscribed when set); a dashboard with the functions, the queues, the
 * engine's own metrics (Powertools EMF) and the per-campaign counters.
 */
import { Duration } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  CAMPAIGN_DIMENSIONS,
  CAMPAIGN_METRICS,
  REASON_DIMENSION,
  SUPPRESSED_BY_REASON_METRIC,
} from '../../functions/shared/campaign-metrics.ts';
import type { Config, Stage } from '../config/stages.ts';
import type { StatefulStack } from '../stacks/stateful-stack.ts';
import { pascal } from '../stacks/stateful-stack.ts';
import type { FunctionId, QueueId } from '../wiring.ts';
import {
  consumerOf,
  FUNCTION_IDS,
  FUNCTIONS,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  QUEUE_IDS,
} from '../wiring.ts';
import type { EngineFunction } from './engine-function.ts';

export interface ObservabilityProps {
  readonly stage: Stage;
  readonly config: Config;
  readonly data: StatefulStack;
  readonly functions: Readonly<Record<FunctionId, EngineFunction>>;
}

/** The engine's own metrics (functions/**: metrics.addMetric), shown on the dashboard. */
export const ENGINE_METRICS = {
  Events: ['EventsIngested', 'EventsDuplicate', 'DeliveryReceipts', 'EventsRejected'],
  Rewards: ['OccurrencesIssued', 'LedgerEntriesWritten', 'CampaignStatsWritten'],
  Messages: [
    'MessagesQueued',
    'MessagesHeld',
    'HeldMessagesReleased',
    'HeldMessagesWithdrawn',
    'MessagesUndeliverable',
    'MessageTooLarge',
  ],
  Scheduling: [
    'CustomersDispatched',
    'CustomersEvaluatedInline',
    'CustomersEvaluated',
    'DueTasksHandedOn',
    'DueLagSeconds',
    'SweepSegmentsStarted',
    'CustomersScanned',
    'CustomersReindexed',
  ],
  Failures: ['RecordsFailed', 'StatsRecordsFailed', 'CampaignStatsFailed'],
} as const;

/** The period of the per-campaign graphs (and of the SEARCH expressions behind them). */
export const CAMPAIGN_PERIOD = Duration.minutes(5);

/**
 * A CloudWatch SEARCH over one metric of a dimension set: every campaign (or reason) that published
 * it, so a new campaign shows up on the dashboard without a deploy.
 */
export function searchExpression(metricName: string, dimensions: readonly string[]): string {
  const schema = [POWERTOOLS_METRICS_NAMESPACE, ...[...dimensions, 'service'].sort()].join(',');
  return `SEARCH('{${schema}} MetricName="${metricName}"', 'Sum', ${CAMPAIGN_PERIOD.toSeconds()})`;
}

/** Iterator age above this means the relay is falling behind the customers stream. */
export const ITERATOR_AGE_THRESHOLD = Duration.minutes(5);
/**
 * The due index read this far behind the clock means scheduled triggers run late: two dispatcher
 * intervals (a tick that reads a full slice keeps it under one).
 */
export const DUE_LAG_THRESHOLD = Duration.minutes(30);
/**
 * A message this old in a queue a function consumes means its consumer is not keeping up, or a message
 * keeps failing (each failure waits a visibility timeout: 6 minutes at most).
 * A 10M-customer wave drains the work queue in about 12 minutes at the default limits (docs/scale.md).
 */
export const QUEUE_AGE_THRESHOLD = Duration.minutes(30);

export class Observability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { config, data, functions, stage } = props;

    const key = new Key(this, 'AlarmTopicKey', {
      description: 'loyalty-triggers alarm topic',
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `loyalty-triggers ${stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(config.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, props: ConstructorParameters<typeof Alarm>[2]) => {
      const created = new Alarm(this, alarmId, props);
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    for (const queueId of QUEUE_IDS) {
      const dlq = dlqOf(data, queueId);
      if (dlq === undefined) continue;
      alarm(`${pascal(queueId)}DlqNotEmpty`, {
        alarmDescription: `${dlq.name}: messages in a dead-letter queue (inspect, fix, redrive)`,
        metric: dlq.queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    for (const fnId of FUNCTION_IDS) {
      const fn = functions[fnId];
      alarm(`${pascal(fnId)}Errors`, {
        alarmDescription: `${fnId}: invocation errors (failed batches, timeouts, crashes)`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm(`${pascal(fnId)}Throttles`, {
        alarmDescription: `${fnId}: throttled invocations`,
        metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (FUNCTIONS[fnId].triggers.some((t) => t.kind === 'stream')) {
        alarm(`${pascal(fnId)}IteratorAge`, {
          alarmDescription: `${fnId}: stream iterator age above ${ITERATOR_AGE_THRESHOLD.toMinutes()} min (falling behind)`,
          metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 5,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
    }

    for (const queueId of QUEUE_IDS) {
      if (consumerOf(queueId) === undefined) continue;
      alarm(`${pascal(queueId)}QueueBacklog`, {
        alarmDescription: `${queueId} queue: a message older than ${QUEUE_AGE_THRESHOLD.toMinutes()} min (its consumer is behind, or a message keeps failing)`,
        metric: data.queues[queueId].metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: QUEUE_AGE_THRESHOLD.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    alarm('DispatchBehind', {
      alarmDescription: `dispatch: the due index read more than ${DUE_LAG_THRESHOLD.toMinutes()} min behind the clock twice in a row (scheduled triggers run late)`,
      metric: new Metric({
        namespace: POWERTOOLS_METRICS_NAMESPACE,
        metricName: 'DueLagSeconds',
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME },
        statistic: 'Maximum',
        period: Duration.minutes(15),
      }),
      threshold: DUE_LAG_THRESHOLD.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    alarm('CampaignStatsFailed', {
      alarmDescription:
        'stats: campaign stats items not written (the window is retried; the stats log "campaign stats not written" has the counts)',
      metric: new Metric({
        namespace: POWERTOOLS_METRICS_NAMESPACE,
        metricName: 'CampaignStatsFailed',
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `loyalty-triggers-${stage}`,
      defaultInterval: Duration.hours(6),
    });
    const perFunction = (title: string, metric: (fn: EngineFunction) => IMetric) =>
      new GraphWidget({ title, width: 8, left: FUNCTION_IDS.map((fnId) => metric(functions[fnId])) });
    dashboard.addWidgets(new TextWidget({ markdown: `# loyalty-triggers (${stage})`, width: 24, height: 1 }));
    dashboard.addWidgets(
      perFunction('Invocations', (fn) => fn.metricInvocations({ label: fn.wiring.id, statistic: 'Sum' })),
      perFunction('Errors', (fn) => fn.metricErrors({ label: fn.wiring.id, statistic: 'Sum' })),
      perFunction('Duration p99', (fn) => fn.metricDuration({ label: fn.wiring.id, statistic: 'p99' })),
    );
    dashboard.addWidgets(
      perFunction('Throttles', (fn) => fn.metricThrottles({ label: fn.wiring.id, statistic: 'Sum' })),
      new GraphWidget({
        title: 'Stream iterator age',
        width: 8,
        left: FUNCTION_IDS.filter((fnId) => FUNCTIONS[fnId].triggers.some((t) => t.kind === 'stream')).map(
          (fnId) => functions[fnId].metric('IteratorAge', { label: fnId, statistic: 'Maximum' }),
        ),
      }),
      new GraphWidget({
        title: 'Queue depth',
        width: 8,
        left: QUEUE_IDS.map((queueId) =>
          data.queues[queueId].metricApproximateNumberOfMessagesVisible({
            label: queueId,
            statistic: 'Maximum',
          }),
        ),
      }),
    );
    const engine = (name: string) =>
      new Metric({
        namespace: POWERTOOLS_METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(5),
        label: name,
      });
    dashboard.addWidgets(
      ...Object.entries(ENGINE_METRICS).map(
        ([title, names]) =>
          new GraphWidget({ title: `Campaigns: ${title}`, width: 8, left: names.map(engine) }),
      ),
      new GraphWidget({
        title: 'Campaigns: rejected share of events',
        width: 8,
        left: [
          new MathExpression({
            expression: '100 * rejected / (rejected + ingested)',
            usingMetrics: { rejected: engine('EventsRejected'), ingested: engine('EventsIngested') },
            label: 'rejected %',
          }),
        ],
      }),
    );

    // Per campaign: one line per (brand, campaign) found by SEARCH; the daily items are in DynamoDB.
    const search = (metricName: string, dimensions: readonly string[], label: string) =>
      new MathExpression({
        expression: searchExpression(metricName, dimensions),
        usingMetrics: {},
        label,
        period: CAMPAIGN_PERIOD,
      });
    // CloudWatch dynamic labels: each line is named by its dimension values.
    const dim = (name: string) => `\${PROP('Dim.${name}')}`;
    const campaignLabel = `${dim('brand')} ${dim('campaign')}`;
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## Per campaign\nSums per 5 minutes, one line per brand and campaign. Daily totals by channel and ' +
          `by suppression reason: table \`${data.tables.stats.tableName}\`, key \`stats#<brand>#<campaign>\` + \`day\`.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      ...Object.keys(CAMPAIGN_METRICS).map(
        (name) =>
          new GraphWidget({
            title: `Per campaign: ${name}`,
            width: 8,
            left: [search(name, CAMPAIGN_DIMENSIONS, campaignLabel)],
            leftYAxis: { showUnits: false, min: 0 },
          }),
      ),
      new GraphWidget({
        title: 'Suppressed by reason (all campaigns)',
        width: 8,
        left: [search(SUPPRESSED_BY_REASON_METRIC, [REASON_DIMENSION], dim(REASON_DIMENSION))],
        leftYAxis: { showUnits: false, min: 0 },
      }),
    );
  }
}

function dlqOf(data: StatefulStack, queueId: QueueId) {
  const queue = data.deadLetterQueues[queueId];
  if (queue !== undefined) return { name: `${queueId} DLQ`, queue };
  // Terminal queues: anything in them needs a look (rejected input, relay batches given up on).
  return { name: `${queueId} queue`, queue: data.queues[queueId] };
}
