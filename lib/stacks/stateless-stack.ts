/**
 * The functions, built from lib/wiring.ts: one EngineFunction per entry, its table and queue bindings,
 * its triggers (SQS and stream event source mappings with partial batch responses, EventBridge
 * Scheduler schedules), and the alarms and dashboard over all of it.
 */
import type { StackProps } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { TableId } from '../../functions/adapters/dynamodb/tables.ts';
import { TABLE_IDS } from '../../functions/adapters/dynamodb/tables.ts';
import type { BundledFiles } from '../config/campaigns.ts';
import type { Config, Stage } from '../config/stages.ts';
import { EngineFunction } from '../constructs/engine-function.ts';
import { InvokeFunctionTarget } from '../constructs/invoke-target.ts';
import { Observability } from '../constructs/observability.ts';
import type { FunctionId, QueueAccess, QueueId, Trigger } from '../wiring.ts';
import { FUNCTION_IDS, FUNCTIONS } from '../wiring.ts';
import type { StatefulStack } from './stateful-stack.ts';
import { pascal } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  readonly stage: Stage;
  readonly config: Config;
  readonly files: BundledFiles;
  readonly data: StatefulStack;
}

export class StatelessStack extends Stack {
  readonly functions: Readonly<Record<FunctionId, EngineFunction>>;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data, files, stage } = props;

    const functions = {} as Record<FunctionId, EngineFunction>;
    for (const fnId of FUNCTION_IDS) {
      const wiring = FUNCTIONS[fnId];
      const fn = new EngineFunction(this, `${pascal(fnId)}Function`, { wiring, config, files });
      for (const tableId of TABLE_IDS) fn.bindTable(tableId, data.tables[tableId], wiring.tables[tableId]);
      for (const [queueId, access] of Object.entries(wiring.queues) as [QueueId, QueueAccess][]) {
        fn.bindQueue(queueId, data.queues[queueId], access);
      }
      for (const trigger of wiring.triggers) this.addTrigger(fn, trigger, data);
      functions[fnId] = fn;
    }
    this.functions = functions;

    new Observability(this, 'Observability', { stage, config, data, functions });
  }

  private addTrigger(fn: EngineFunction, trigger: Trigger, data: StatefulStack): void {
    switch (trigger.kind) {
      case 'sqs':
        fn.addEventSource(
          new SqsEventSource(data.queues[trigger.queue], {
            batchSize: trigger.batchSize,
            maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
            reportBatchItemFailures: trigger.reportBatchItemFailures,
            maxConcurrency: trigger.maxConcurrency,
          }),
        );
        return;
      case 'stream':
        fn.addEventSource(
          new DynamoEventSource(data.tables[trigger.table as TableId], {
            startingPosition: StartingPosition[trigger.startingPosition],
            batchSize: trigger.batchSize,
            maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
            bisectBatchOnError: trigger.bisectBatchOnError,
            retryAttempts: trigger.retryAttempts,
            maxRecordAge: Duration.seconds(trigger.maxRecordAgeSeconds),
            parallelizationFactor: trigger.parallelizationFactor,
            ...(trigger.tumblingWindowSeconds > 0
              ? { tumblingWindow: Duration.seconds(trigger.tumblingWindowSeconds) }
              : {}),
            reportBatchItemFailures: trigger.reportBatchItemFailures,
            onFailure: new SqsDlq(data.queues[trigger.onFailure]),
          }),
        );
        return;
      case 'schedule': {
        const id = `${fn.node.id}${pascal(trigger.id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()))}`;
        new Schedule(this, id, {
          description: trigger.description,
          schedule: ScheduleExpression.cron({ minute: trigger.cron.minute, hour: trigger.cron.hour }),
          target: new InvokeFunctionTarget(this, `${id}Role`, fn, {
            input: ScheduleTargetInput.fromObject(trigger.input),
            retryAttempts: 2,
            maxEventAge: Duration.minutes(10),
          }),
        });
        return;
      }
    }
  }
}
