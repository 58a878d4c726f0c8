/**
 * The workflows' names and constants, without CDK: the API and step Lambdas import
 * these, and must not pull aws-cdk-lib into their bundles.
 */

/** Errors a retry can cure: provider throttling/5xx and Lambda's own hiccups. */
export const TRANSIENT_ERRORS = [
  'TransientProviderError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Seconds between two Describe calls; the local runner scales it by PALETTE_SIM_SPEED. */
export const POLL_SECONDS = 10;
/** Default bound on a polling loop (the API sets `maxPolls` per provider and account). */
export const MAX_POLLS = 180;

export type HostClusterStep =
  | 'provision'
  | 'describe'
  | 'scale'
  | 'upgrade'
  | 'delete'
  | 'validateImport'
  | 'applyAddons'
  | 'finish'
  | 'markError';

/** The environment variable that carries a workflow's state machine ARN to the API functions. */
export const stateMachineArnVariable = (name: string) => `STATE_MACHINE_${name.toUpperCase().replaceAll('-', '_')}`;
