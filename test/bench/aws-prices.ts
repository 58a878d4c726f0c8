/**
 * What running the platform costs on AWS: the on-demand list prices of the services it
 * uses, us-east-1, as published on AWS's pricing pages when they were read. One table:
 * the cost benchmark and the README's figures use it. (The prices the platform charges
 * its own users for clusters are another table: shared/usage/prices.ts.)
 */
export const AWS_PRICES = {
  readOn: '2026-12-01',
  region: 'us-east-1',
  sources: [
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/step-functions/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/api-gateway/pricing/',
    'https://aws.amazon.com/kms/pricing/',
    'https://aws.amazon.com/eventbridge/pricing/',
  ],
  lambda: {
    perRequest: 0.2 / 1e6,
    /** arm64, the stack's architecture. */
    perGbSecond: 0.0000133334,
  },
  stepFunctionsStandard: { perStateTransition: 0.025 / 1000 },
  dynamodbOnDemand: {
    /** Since the November 2024 reduction. */
    perWriteRequestUnit: 0.625 / 1e6,
    perReadRequestUnit: 0.125 / 1e6,
    perGbMonthStored: 0.25,
  },
  apiGatewayHttpApi: { perRequest: 1.0 / 1e6 },
  kms: { perRequest: 0.03 / 10_000 },
  eventBridge: { perScheduledInvocation: 1.0 / 1e6 },
} as const;

/** What one unit of work consumed, in the units AWS bills. */
export interface Consumption {
  apiRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  stateTransitions: number;
  readUnits: number;
  writeUnits: number;
  kmsRequests: number;
  scheduledInvocations: number;
}

export const nothing = (): Consumption => ({
  apiRequests: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  stateTransitions: 0,
  readUnits: 0,
  writeUnits: 0,
  kmsRequests: 0,
  scheduledInvocations: 0,
});

export function costOf(c: Consumption) {
  const p = AWS_PRICES;
  const parts = {
    lambda: c.lambdaInvocations * p.lambda.perRequest + c.lambdaGbSeconds * p.lambda.perGbSecond,
    stepFunctions: c.stateTransitions * p.stepFunctionsStandard.perStateTransition,
    dynamodb: c.readUnits * p.dynamodbOnDemand.perReadRequestUnit + c.writeUnits * p.dynamodbOnDemand.perWriteRequestUnit,
    apiGateway: c.apiRequests * p.apiGatewayHttpApi.perRequest,
    kms: c.kmsRequests * p.kms.perRequest,
    eventBridge: c.scheduledInvocations * p.eventBridge.perScheduledInvocation,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

export const usd = (value: number) => (value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toPrecision(3)}`);
