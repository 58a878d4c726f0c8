/**
 * The workflows' names, steps and step Lambdas, without CDK: the API and step Lambdas
 * import these, and must not pull aws-cdk-lib into their bundles. The CDK side of each
 * family (its state machines) is in `<family>.ts`; registry.ts lists them all.
 */

/** Errors a retry can cure: provider throttling/5xx and Lambda's own hiccups. */
export const TRANSIENT_ERRORS = [
  'TransientProviderError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Seconds between two Describe calls unless a workflow's input says otherwise; the local runner scales Wait states by PALETTE_SIM_SPEED. */
export const POLL_SECONDS = 10;

/** One Lambda that runs every step of a workflow family, as deployed (CDK) and as loaded locally. */
export interface StepLambda {
  /** The function name: on AWS its Powertools service name, locally the ARN a Task names. */
  functionName: string;
  /** The handler module, from the repository root. */
  entry: string;
}

export const hostClusterSteps = ['provision', 'describe', 'scale', 'upgrade', 'delete', 'validateImport', 'applyAddons', 'checkAddons', 'finish', 'markError'] as const;
export type HostClusterStep = (typeof hostClusterSteps)[number];

export const virtualClusterSteps = ['provision', 'describe', 'pause', 'resume', 'resize', 'delete', 'restore', 'finish', 'markError'] as const;
export type VirtualClusterStep = (typeof virtualClusterSteps)[number];

export const appSteps = ['prepare', 'applyTier', 'checkTier', 'prune', 'remove', 'describeRemoval', 'finish', 'markError'] as const;
export type AppStep = (typeof appSteps)[number];

export const workspaceSteps = ['apply', 'remove', 'finish', 'markError'] as const;
export type WorkspaceStep = (typeof workspaceSteps)[number];

export const backupSteps = ['snapshot', 'finish', 'markError'] as const;
export type BackupStep = (typeof backupSteps)[number];

/** Every workflow family: its step Lambda, its steps and its workflows (`<family>-<workflow>`). */
export const workflowFamilies = {
  'host-cluster': {
    stepLambda: { functionName: 'palette-host-cluster-steps', entry: 'functions/steps/host-cluster.ts' },
    steps: hostClusterSteps,
    workflows: ['create', 'import', 'scale', 'upgrade', 'delete'],
  },
  'virtual-cluster': {
    stepLambda: { functionName: 'palette-virtual-cluster-steps', entry: 'functions/steps/virtual-cluster.ts' },
    steps: virtualClusterSteps,
    // restore: a create that applies a backup's objects once the new cluster runs, before it is Running.
    workflows: ['create', 'pause', 'resume', 'resize', 'delete', 'restore'],
  },
  app: {
    stepLambda: { functionName: 'palette-app-steps', entry: 'functions/steps/app.ts' },
    steps: appSteps,
    workflows: ['deploy', 'delete'],
  },
  workspace: {
    stepLambda: { functionName: 'palette-workspace-steps', entry: 'functions/steps/workspace.ts' },
    steps: workspaceSteps,
    workflows: ['apply', 'delete'],
  },
  backup: {
    stepLambda: { functionName: 'palette-backup-steps', entry: 'functions/steps/backup.ts' },
    steps: backupSteps,
    workflows: ['create'],
  },
} as const satisfies Record<string, { stepLambda: StepLambda; steps: readonly string[]; workflows: readonly string[] }>;

export type WorkflowFamily = keyof typeof workflowFamilies;

/**
 * The steps each workflow runs, in order: what its operation lists from the start
 * (`steps`, `progress`). Each is a step Lambda call of the family; markError (the
 * failure path) is not among them. test/workflows/workflow-steps.test.ts walks every
 * state machine and holds it to this list.
 */
export const workflowSteps: Record<string, readonly string[]> = {
  'host-cluster-create': ['provision', 'describe', 'applyAddons', 'checkAddons', 'finish'],
  'host-cluster-import': ['validateImport', 'finish'],
  'host-cluster-scale': ['scale', 'describe', 'finish'],
  'host-cluster-upgrade': ['upgrade', 'describe', 'applyAddons', 'checkAddons', 'finish'],
  'host-cluster-delete': ['delete', 'describe', 'finish'],
  'virtual-cluster-create': ['provision', 'describe', 'finish'],
  'virtual-cluster-pause': ['pause', 'describe', 'finish'],
  'virtual-cluster-resume': ['resume', 'describe', 'finish'],
  'virtual-cluster-resize': ['resize', 'finish'],
  'virtual-cluster-delete': ['delete', 'describe', 'finish'],
  'virtual-cluster-restore': ['provision', 'describe', 'restore', 'finish'],
  'app-deploy': ['prepare', 'applyTier', 'checkTier', 'prune', 'finish'],
  'app-delete': ['remove', 'describeRemoval', 'finish'],
  'workspace-apply': ['apply', 'finish'],
  'workspace-delete': ['remove', 'finish'],
  'backup-create': ['snapshot', 'finish'],
};

/** `host-cluster` + `create` → `host-cluster-create`. */
export const workflowName = <F extends WorkflowFamily>(family: F, workflow: (typeof workflowFamilies)[F]['workflows'][number]) =>
  `${family}-${workflow}` as const;

/** The environment variable that carries a workflow's state machine ARN to the API functions. */
export const stateMachineArnVariable = (name: string) => `STATE_MACHINE_${name.toUpperCase().replaceAll('-', '_')}`;
