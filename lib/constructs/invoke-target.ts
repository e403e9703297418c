/**
 * An EventBridge Scheduler target invoking one function, with a role that may invoke exactly that
 * function (aws-scheduler-targets' LambdaInvoke also grants `<arn>:*`, every version and alias).
 */
import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type {
  ISchedule,
  IScheduleTarget,
  ScheduleTargetConfig,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';

export interface InvokeFunctionTargetProps {
  readonly input: ScheduleTargetInput;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

export class InvokeFunctionTarget implements IScheduleTarget {
  private readonly role: Role;

  constructor(
    scope: Construct,
    id: string,
    private readonly fn: IFunction,
    private readonly props: InvokeFunctionTargetProps,
  ) {
    this.role = new Role(scope, id, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: `EventBridge Scheduler: invoke ${fn.node.id} only`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
  }

  bind(_schedule: ISchedule): ScheduleTargetConfig {
    return {
      arn: this.fn.functionArn,
      role: this.role,
      input: this.props.input,
      retryPolicy: {
        maximumRetryAttempts: this.props.retryAttempts,
        maximumEventAgeInSeconds: this.props.maxEventAge.toSeconds(),
      },
    };
  }
}
