/**
 * The AKS and GKE provider functions (shared/providers/remote): each carries its cloud's
 * SDK and nothing else of the platform's data: no table, only the right to open the
 * cloud accounts' sealed secrets. Who drives those clusters is granted invoke on them.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { PROVIDER_FUNCTION_TIMEOUT_SECONDS, providerFunctions, type RemoteProviderKind } from '#shared/providers/remote/functions.ts';
import { createPaletteFunction, pascal } from './function-defaults.ts';
import { acknowledgeFinding, wildcardBelowArnFinding } from './nag.ts';
import { grantSecrets } from './secrets-key.ts';

export class ProviderFunctions extends Construct {
  readonly functions: ReadonlyMap<RemoteProviderKind, NodejsFunction>;

  constructor(scope: Construct, id: string, props: { secretsKey: kms.IKey }) {
    super(scope, id);
    const functions = new Map<RemoteProviderKind, NodejsFunction>();
    for (const [kind, spec] of Object.entries(providerFunctions) as Array<[RemoteProviderKind, (typeof providerFunctions)[RemoteProviderKind]]>) {
      const fn = createPaletteFunction(this, `${pascal(kind)}ProviderFunction`, {
        entry: spec.entry,
        timeout: Duration.seconds(PROVIDER_FUNCTION_TIMEOUT_SECONDS),
        serviceName: spec.functionName,
      });
      grantSecrets(fn, props.secretsKey, { open: ['cloudaccount:*'] });
      functions.set(kind, fn);
    }
    this.functions = functions;
  }

  /** Lets `caller` invoke every provider function, found through PROVIDER_FUNCTION_* variables. */
  grantInvoke(caller: NodejsFunction): void {
    for (const [kind, fn] of this.functions) {
      caller.addEnvironment(providerFunctions[kind].variable, fn.functionName);
      fn.grantInvoke(caller);
      acknowledgeFinding(
        caller.role!,
        wildcardBelowArnFinding(fn, ':*'),
        "grantInvoke adds the provider function's versions and aliases (<function ARN>:*) to the function itself; it is still that one function, invoked unqualified.",
      );
    }
  }
}
