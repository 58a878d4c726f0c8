/**
 * Cloud accounts (API.md "Cluster Mode", "Cluster Mode II"): an AWS IAM role to assume, an
 * Azure service principal, a Google Cloud service account, or the simulated cloud.
 * Secrets (the client secret, the key file) are taken here, sealed, and never returned.
 */
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

const uuid = (what: string) => z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, `must be the ${what} (a GUID)`);

const azureSettings = z
  .strictObject({
    tenantId: uuid('Microsoft Entra tenant id'),
    clientId: uuid("service principal's application (client) id"),
    clientSecret: z.string().min(8).max(512).meta({ description: 'sealed at rest, never returned' }),
    subscriptionId: uuid('subscription id'),
    resourceGroup: z.string().regex(/^[-\w._()]{1,89}[-\w_()]$/, 'must be a resource group name').optional()
      .meta({ description: 'where clusters go (default: palette-<region>, made when missing)' }),
  })
  .meta({ id: 'AzureCloudAccountSettings', description: 'The service principal AKS clusters are created as' });

/** The fields of a service-account key file the platform needs; the file is kept whole, sealed. */
const serviceAccountKeyFile = z.object({
  type: z.literal('service_account', { error: 'must be a service account key (type "service_account")' }),
  project_id: z.string().min(1).optional(),
  client_email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be the service account\'s e-mail'),
  private_key: z.string().startsWith('-----BEGIN PRIVATE KEY-----', 'must be a PEM private key'),
});

const gcpSettings = z
  .strictObject({
    projectId: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id'),
    serviceAccountKey: z
      .string()
      .min(2)
      .max(16 * 1024)
      .meta({ description: "the key file's JSON as a string; sealed at rest, never returned" })
      .transform((text, ctx) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be the JSON of a service account key file' });
          return z.NEVER;
        }
        const key = serviceAccountKeyFile.safeParse(json);
        if (!key.success) {
          for (const issue of key.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
          return z.NEVER;
        }
        return { text, clientEmail: key.data.client_email };
      }),
  })
  .meta({ id: 'GcpCloudAccountSettings', description: 'The service account GKE clusters are created as' });

const vsphereSettings = z
  .strictObject({
    gatewayId: idOf('agent').meta({ description: 'the registered gateway agent that reaches this vCenter' }),
    vcenter: z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be the vCenter host name (or host:port)'),
    datacenter: z.string().min(1).max(80),
    datastore: z.string().min(1).max(80),
    network: z.string().min(1).max(80),
    username: z.string().min(1).max(256),
    password: z.string().min(1).max(512).meta({ description: 'sealed at rest, never returned; handed only to the gateway, in its tasks' }),
  })
  .meta({ id: 'VsphereCloudAccountSettings', description: 'A vCenter the platform reaches through a data-centre gateway' });

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
    aws: awsSettings.optional().meta({ description: 'required for provider aws, refused for the others' }),
    azure: azureSettings.optional().meta({ description: 'required for provider azure, refused for the others' }),
    gcp: gcpSettings.optional().meta({ description: 'required for provider gcp, refused for the others' }),
    vsphere: vsphereSettings.optional().meta({ description: 'required for provider vsphere, refused for the others' }),
    sim: simSettings.optional().meta({ description: 'only for provider sim' }),
  })
  .superRefine((body, ctx) => {
    // Exactly the settings of the account's provider (sim's are optional).
    for (const provider of ['aws', 'azure', 'gcp', 'vsphere', 'sim'] as const) {
      if (provider === body.provider) {
        if (provider !== 'sim' && !body[provider]) ctx.addIssue({ code: 'custom', path: [provider], message: `required when provider is ${provider}` });
      } else if (body[provider]) {
        ctx.addIssue({ code: 'custom', path: [provider], message: `only allowed when provider is ${provider}` });
      }
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
    azure: z.object({ tenantId: z.string(), clientId: z.string(), subscriptionId: z.string(), resourceGroup: z.string().optional() }).optional(),
    gcp: z.object({ projectId: z.string(), clientEmail: z.string() }).optional(),
    vsphere: z.object({ gatewayId: z.string(), vcenter: z.string(), datacenter: z.string(), datastore: z.string(), network: z.string(), username: z.string() }).optional(),
    sim: z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() }).optional(),
    secretSet: z.boolean().optional().meta({ description: 'azure, gcp and vsphere: the secret is stored (sealed); it is never returned' }),
    projectId: idOf('project'),
    ...resourceFields,
  })
  .meta({ id: 'CloudAccount' });

export const accountValidation = z
  .object({ valid: z.boolean(), message: z.string() })
  .meta({ id: 'CloudAccountValidation', description: 'What the cloud answered when the credential was tried' });
