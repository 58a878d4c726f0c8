/** Cloud accounts (API.md "Cluster Mode"): an AWS IAM role to assume, or the simulated cloud. */
import * as z from 'zod';
import { displayName, idOf, resourceFields } from '../api/schema-kit.ts';
import { SIM_DEFAULTS } from '../providers/sim.ts';
import { cloudProviders } from './items.ts';

export const cloudProvider = z.enum(cloudProviders);

export const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID_CHARS = /^[\w+=,.@:/-]+$/;
const roleArn = (example: string) =>
  z.string().regex(ROLE_ARN, `must be an IAM role ARN like arn:aws:iam::123456789012:role/${example}`);

const awsSettings = z
  .strictObject({
    roleArn: roleArn('palette'),
    externalId: z.string().min(2).max(1224).regex(EXTERNAL_ID_CHARS, 'may hold only letters, digits and _+=,.@:/-'),
    clusterRoleArn: roleArn('PaletteEksClusterRole').optional().meta({ description: 'the EKS cluster role (default: PaletteEksClusterRole in the role\'s account)' }),
    nodeRoleArn: roleArn('PaletteEksNodeRole').optional().meta({ description: 'the EKS node role (default: PaletteEksNodeRole in the role\'s account)' }),
  })
  .meta({ id: 'AwsCloudAccountSettings', description: 'The IAM role the platform assumes, the external id it passes, and the EKS roles' });

const simSettings = z
  .strictObject({
    provisionSeconds: z.number().int().min(0).max(3600).default(SIM_DEFAULTS.provisionSeconds),
    failProvisioning: z.boolean().default(SIM_DEFAULTS.failProvisioning),
  })
  .meta({ id: 'SimCloudAccountSettings', description: 'The simulated cloud: how long provisioning takes, and whether it fails' });

export const createCloudAccountBody = z
  .strictObject({
    name: displayName,
    provider: cloudProvider,
    aws: awsSettings.optional().meta({ description: 'required for provider aws, refused for sim' }),
    sim: simSettings.optional().meta({ description: 'only for provider sim' }),
  })
  .superRefine((body, ctx) => {
    if (body.provider === 'aws') {
      if (!body.aws) ctx.addIssue({ code: 'custom', path: ['aws'], message: 'required when provider is aws' });
      if (body.sim) ctx.addIssue({ code: 'custom', path: ['sim'], message: 'only allowed when provider is sim' });
    } else if (body.aws) {
      ctx.addIssue({ code: 'custom', path: ['aws'], message: 'only allowed when provider is aws' });
    }
  })
  .meta({ id: 'CreateCloudAccount' });

export type CreateCloudAccountInput = z.output<typeof createCloudAccountBody>;

export const cloudAccount = z
  .object({
    id: idOf('cloudAccount'),
    name: z.string(),
    provider: cloudProvider,
    aws: z.object({ roleArn: z.string(), externalId: z.string(), clusterRoleArn: z.string().optional(), nodeRoleArn: z.string().optional() }).optional(),
    sim: z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() }).optional(),
    projectId: idOf('project'),
    ...resourceFields,
  })
  .meta({ id: 'CloudAccount' });
