/**
 * The clouds whose SDKs live in a function of their own: a step Lambda or an API
 * function that drives an AKS or GKE cluster invokes that cloud's provider function
 * (client.ts) instead of carrying Azure's or Google's SDK (API ≤ 400 KiB, steps ≤ 1.5
 * MiB). One entry drives the CDK function, its bundle and the local Lambda endpoint.
 */
export const providerFunctions = {
  aks: { functionName: 'palette-provider-aks', entry: 'functions/providers/aks.ts', variable: 'PROVIDER_FUNCTION_AKS', cloud: 'Azure' },
  gke: { functionName: 'palette-provider-gke', entry: 'functions/providers/gke.ts', variable: 'PROVIDER_FUNCTION_GKE', cloud: 'Google Cloud' },
} as const;

export type RemoteProviderKind = keyof typeof providerFunctions;

/** The provider function's timeout: one cloud call per invocation, inside its caller's. */
export const PROVIDER_FUNCTION_TIMEOUT_SECONDS = 60;
