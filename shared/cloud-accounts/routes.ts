import * as z from 'zod';
import { idOf, listOf, listQuery } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok, projectParams, projectRef } from '../api/route-kit.ts';
import { accountValidation, cloudAccount, createCloudAccountBody } from './schemas.ts';

const cloudAccountParams = z.strictObject({ p: projectRef, id: idOf('cloudAccount') });

export const cloudAccountRoutes = featureRoutes('cloud-accounts', {
  'cloudaccount.create': {
    method: 'POST', path: '/v1/projects/{p}/cloudaccounts', permission: 'project.editor',
    resourceType: 'cloudaccount', summary: 'Register a cloud account: an AWS IAM role, an Azure service principal, a Google Cloud service account, or the simulated cloud',
    params: projectParams, body: createCloudAccountBody, idempotent: true, responses: created(cloudAccount),
  },
  'cloudaccount.list': {
    method: 'GET', path: '/v1/projects/{p}/cloudaccounts', permission: 'project.viewer',
    resourceType: 'cloudaccount', summary: 'List the project\'s cloud accounts', params: projectParams, query: listQuery,
    responses: ok(listOf(cloudAccount, 'CloudAccountList')),
  },
  'cloudaccount.get': {
    method: 'GET', path: '/v1/projects/{p}/cloudaccounts/{id}', permission: 'project.viewer',
    resourceType: 'cloudaccount', summary: 'Get a cloud account', params: cloudAccountParams, responses: ok(cloudAccount),
  },
  'cloudaccount.validate': {
    method: 'POST', path: '/v1/projects/{p}/cloudaccounts/{id}/validate', permission: 'project.editor',
    resourceType: 'cloudaccount', summary: 'Try the account\'s credential against its cloud', params: cloudAccountParams, responses: ok(accountValidation),
  },
  'cloudaccount.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/cloudaccounts/{id}', permission: 'project.editor',
    resourceType: 'cloudaccount', summary: 'Delete a cloud account (refused while a host cluster uses it)', params: cloudAccountParams, responses: noContent,
  },
});
