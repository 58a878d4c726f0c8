/** Apps (API.md "App Mode"): an app profile version deployed into a virtual cluster. */
import * as z from 'zod';
import { idOf, pageQuery, resourceFields } from '../api/schema-kit.ts';
import { appValues } from './tier-values.ts';
import { appPhases, tierPhases } from './items.ts';

/** The app's name is its namespace in the virtual cluster; the cluster's own namespaces are not an app's. */
const appName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens, starting with a letter')
  .refine((name) => name !== 'default' && !name.startsWith('kube-'), 'default and kube-* are the virtual cluster\'s own namespaces');

export const createAppBody = z
  .strictObject({
    name: appName,
    appProfileId: idOf('appProfile'),
    virtualClusterId: idOf('virtualCluster'),
    values: appValues.optional(),
  })
  .meta({ id: 'CreateApp' });

export const upgradeAppBody = z
  .strictObject({
    appProfileId: idOf('appProfile').meta({ description: 'another version of the same profile name' }),
    values: appValues.optional(),
  })
  .meta({ id: 'UpgradeApp' });

export const app = z
  .object({
    id: idOf('app'),
    name: z.string(),
    projectId: idOf('project'),
    virtualClusterId: idOf('virtualCluster'),
    appProfileId: idOf('appProfile'),
    profileName: z.string(),
    profileVersion: z.string(),
    values: appValues,
    revision: z.number().int().meta({ description: 'the deployment number: each deploy, redeploy or upgrade is the next one' }),
    status: z.object({
      phase: z.enum(appPhases),
      message: z.string().optional(),
      tiers: z.array(z.object({ name: z.string(), phase: z.enum(tierPhases), message: z.string().optional() })),
    }),
    updateAvailable: z
      .union([z.object({ appProfileId: idOf('appProfile'), version: z.string() }), z.null()])
      .meta({ description: 'a newer version of the same profile name exists (nothing upgrades by itself)' }),
    operationId: idOf('operation').optional(),
    ...resourceFields,
  })
  .meta({ id: 'App' });

export const appListQuery = z.strictObject({
  ...pageQuery,
  virtualClusterId: idOf('virtualCluster').optional().meta({ description: 'only the apps of this virtual cluster' }),
});
