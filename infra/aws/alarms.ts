/**
 * The alarms a platform team subscribes to, all on one SNS topic: failed executions,
 * the API's 5xx rate, Lambda throttles and errors, DynamoDB throttling and system
 * errors. The metrics behind them report only when something happens (or when there is
 * traffic), so missing data never alarms. A function nothing else watches, such as a
 * scheduled job, is one `alarmOnErrors(fn, name)` call.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export const ALARM_PERIOD = Duration.minutes(5);

/** The API alarms when more than this share of its responses in a period are 5xx... */
export const SERVER_ERROR_RATE_PERCENT = 5;
/** ...and the period had at least this many requests, so a lone failure at night is no page. */
export const SERVER_ERROR_RATE_MIN_REQUESTS = 20;

/**
 * Every item operation but Scan (the store never scans) and PartiQL (never used): the
 * per-operation DynamoDB metrics are summed over these, and CloudWatch allows at most
 * 10 metrics in one alarm.
 */
export const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
  Operation.TRANSACT_GET_ITEMS,
  Operation.TRANSACT_WRITE_ITEMS,
];

export interface ErrorAlarmOptions {
  /** Errors per {@link ALARM_PERIOD} that alarm. Default: 1. */
  threshold?: number;
}

/**
 * `FILL(a, 0) + FILL(b, 0) + …`: a plain `a + b` has no value in a period where one of
 * them reported nothing, which for event counts is most periods.
 */
function sumOf(metrics: Record<string, cloudwatch.IMetric>, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: Object.keys(metrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics: metrics,
    label,
    period: ALARM_PERIOD,
  });
}

/** A construct id from a readable name: `host-cluster steps` → `HostClusterSteps`. */
const constructIdOf = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

export class PlatformAlarms extends Construct {
  /** Subscribe here (email, chat, paging) to receive every alarm and its recovery. */
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Palette platform alarms', enforceSSL: true });
    // The topic policy that enforceSSL creates replaces SNS's default one, and CloudWatch
    // publishes as its service principal: without this, every notification is refused.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    // Not encrypted at rest: the messages are alarm state changes (alarm name, metric,
    // threshold), no customer data, and CloudWatch cannot publish to a topic under the
    // AWS-managed aws/sns key; a customer-managed key would have to grant CloudWatch and
    // every subscriber's service.
  }

  /** Any execution of the state machine that failed, timed out or was aborted. */
  alarmOnFailedExecutions(stateMachine: sfn.IStateMachine, name: string): cloudwatch.Alarm {
    const options = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
    const ended = sumOf(
      {
        failed: stateMachine.metricFailed(options),
        timedOut: stateMachine.metricTimedOut(options),
        aborted: stateMachine.metricAborted(options),
      },
      `${name} executions failed, timed out or aborted`,
    );
    return this.notify(
      ended.createAlarm(this, `${constructIdOf(name)}FailedExecutions`, {
        alarmDescription: `An execution of ${name} did not succeed: its operation is Failed and its resource in Error. Find it in the state machine's executions (or its log group) by the operation id.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** The share of the API's responses that are 5xx, in percent, once there is traffic. */
  alarmOnServerErrorRate(api: apigatewayv2.IHttpApi): cloudwatch.Alarm {
    const options = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
    const rate = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${SERVER_ERROR_RATE_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: { errors: api.metricServerError(options), requests: api.metricCount(options) },
      label: 'API 5xx responses (%)',
      period: ALARM_PERIOD,
    });
    return this.notify(
      rate.createAlarm(this, 'ApiServerErrorRate', {
        alarmDescription: `More than ${SERVER_ERROR_RATE_PERCENT}% of the API's responses were 5xx (with at least ${SERVER_ERROR_RATE_MIN_REQUESTS} requests in ${ALARM_PERIOD.toMinutes()} minutes). The access log and the route functions' logs carry the request ids.`,
        threshold: SERVER_ERROR_RATE_PERCENT,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Any throttled invocation of the function (account or function concurrency exhausted). */
  alarmOnThrottles(fn: lambda.IFunction, name: string): cloudwatch.Alarm {
    return this.notify(
      fn.metricThrottles({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${constructIdOf(name)}Throttles`, {
        alarmDescription: `Invocations of ${name} were throttled: the account's (or the function's) concurrency is exhausted.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * For a function no API status reports on (workflow steps, scheduled jobs): its
   * errors, and its throttles too.
   */
  alarmOnErrors(fn: lambda.IFunction, name: string, options: ErrorAlarmOptions = {}): cloudwatch.Alarm {
    this.alarmOnThrottles(fn, name);
    const threshold = options.threshold ?? 1;
    return this.notify(
      fn.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${constructIdOf(name)}Errors`, {
        alarmDescription: `${name} failed ${threshold === 1 ? 'an invocation' : `${threshold} or more invocations`} in ${ALARM_PERIOD.toMinutes()} minutes; its log group has the errors.`,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Throttled requests and DynamoDB-side (5xx) errors on the table, across {@link TABLE_OPERATIONS}. */
  alarmOnTable(table: ITableV2): cloudwatch.Alarm[] {
    const perOperation = (metricName: string) =>
      Object.fromEntries(
        TABLE_OPERATIONS.map((operation) => [
          operation.charAt(0).toLowerCase() + operation.slice(1),
          new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName,
            dimensionsMap: { TableName: table.tableName, Operation: operation },
            statistic: cloudwatch.Stats.SUM,
            period: ALARM_PERIOD,
          }),
        ]),
      );
    const alarm = (id: string, metricName: string, description: string) =>
      this.notify(
        sumOf(perOperation(metricName), `table ${metricName}`).createAlarm(this, id, {
          alarmDescription: description,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    return [
      alarm(
        'TableThrottledRequests',
        'ThrottledRequests',
        'Requests to the table were throttled (a hot partition, or the on-demand limits); the SDK retries, so callers see latency first and errors after.',
      ),
      alarm('TableSystemErrors', 'SystemErrors', 'DynamoDB answered requests to the table with internal (5xx) errors.'),
    ];
  }

  /** Notifies the topic of the alarm and of its recovery. */
  private notify(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
