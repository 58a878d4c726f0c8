import { idOf, listOf, listQuery } from '../api/schema-kit.ts';
import * as z from 'zod';
import { created, featureRoutes, noContent, ok } from '../api/route-kit.ts';
import { chartList, chartQuery, createRegistryBody, registry } from './schemas.ts';

const params = z.strictObject({ id: idOf('registry') });

export const registryRoutes = featureRoutes('registries', {
  'registry.create': {
    method: 'POST', path: '/v1/registries', permission: 'tenant.admin', resourceType: 'registry',
    summary: 'Add a Helm repository or OCI registry: the registry is asked at once whether the login works; credentials are sealed and never returned',
    body: createRegistryBody, idempotent: true, responses: created(registry),
  },
  'registry.list': {
    method: 'GET', path: '/v1/registries', permission: 'tenant.member', resourceType: 'registry',
    summary: 'List the tenant\'s registries', query: listQuery, responses: ok(listOf(registry, 'RegistryList')),
  },
  'registry.get': {
    method: 'GET', path: '/v1/registries/{id}', permission: 'tenant.member', resourceType: 'registry',
    summary: 'Get a registry', params, responses: ok(registry),
  },
  'registry.delete': {
    method: 'DELETE', path: '/v1/registries/{id}', permission: 'tenant.admin', resourceType: 'registry',
    summary: 'Delete a registry (refused while a profile version uses it)', params, responses: noContent,
  },
  'registry.charts': {
    method: 'GET', path: '/v1/registries/{id}/charts', permission: 'tenant.member', resourceType: 'registry',
    summary: 'The charts and versions the registry has, read from the registry itself (index.yaml, or the OCI tags list)',
    params, query: chartQuery, responses: ok(chartList),
  },
});
