import * as z from 'zod';
import { listOf } from '../api/schema-kit.ts';
import { featureRoutes, ok } from '../api/route-kit.ts';
import { report, reportListQuery, reportParams, reportSummary } from './schemas.ts';

/** Scheduled cost and utilization reports (API.md "Operations, audit, usage, reports"). */
export const reportRoutes = featureRoutes('reports', {
  'report.list': {
    method: 'GET', path: '/v1/reports', permission: 'tenant.admin', resourceType: 'report',
    summary: 'The tenant\'s daily, weekly and monthly reports, newest first (`?kind=` filters); the current day, week and month so far are `partial: true` with `asOf`', query: reportListQuery,
    responses: ok(listOf(reportSummary, 'ReportList')),
  },
  'report.get': {
    method: 'GET', path: '/v1/reports/{id}', permission: 'tenant.admin', resourceType: 'report',
    summary: 'A report: JSON by default, `Accept: text/csv` a spreadsheet (RFC 4180), `Accept: text/html` a page with its charts',
    params: reportParams,
    responses: {
      200: {
        description: 'the report, in the representation the Accept header asks for',
        schema: report,
        also: [
          { contentType: 'text/csv', schema: z.string().meta({ description: 'header row, one row per line item, CRLF, RFC 4180 quoting' }) },
          { contentType: 'text/html', schema: z.string().meta({ description: 'a self-contained page: SVG charts, no scripts, fonts or requests' }) },
        ],
      },
    },
  },
});
