import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { reportRoutes } from '#shared/reports/routes.ts';
import { getReport, listReports } from '#shared/reports/reports.ts';
import { REPORT_CSP, reportCsv, reportHtml } from '#shared/reports/render.ts';

/** The representation an Accept header asks for: CSV or HTML when it names them before JSON; JSON otherwise. */
export function representationOf(accept: string | undefined): 'json' | 'csv' | 'html' {
  const ranked = (accept ?? '')
    .split(',')
    .map((part, index) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1');
      return { type: type!.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranked) {
    if (type === 'text/csv') return 'csv';
    if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
  }
  return 'json';
}

export const handler = createApiHandler(reportRoutes, {
  'report.list': async ({ store, principal, query }) => ({ status: 200, body: await listReports(store, requireTenant(principal), query) }),
  'report.get': async ({ store, principal, params, event }) => {
    const report = await getReport(store, requireTenant(principal), params.id);
    const representation = representationOf(event.headers?.accept);
    const vary = { vary: 'Accept' };
    if (representation === 'csv') {
      return {
        status: 200,
        headers: { ...vary, 'content-disposition': `inline; filename="${report.id}.csv"` },
        raw: { contentType: 'text/csv; charset=utf-8; header=present', text: reportCsv(report) },
      };
    }
    if (representation === 'html') {
      return {
        status: 200,
        headers: { ...vary, 'content-security-policy': REPORT_CSP, 'x-content-type-options': 'nosniff' },
        raw: { contentType: 'text/html; charset=utf-8', text: reportHtml(report) },
      };
    }
    return { status: 200, headers: vary, body: report };
  },
});
