import type { RouteSpec } from '#shared/api/route-table.ts';

export interface MatchedRoute<R> {
  route: R;
  pathParameters: Record<string, string>;
}

/**
 * API Gateway's job locally: pick the route for a method and path. Literal segments
 * win over `{param}` segments, as API Gateway prefers the most specific route.
 */
export function createRouteMatcher<R extends Pick<RouteSpec, 'method' | 'path'>>(routes: R[]) {
  const compiled = routes
    .map((route) => {
      const names: string[] = [];
      const pattern = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { route, names, regex: new RegExp(`^${pattern}$`), literalSegments: route.path.split('/').filter((s) => s && !s.startsWith('{')).length };
    })
    .sort((a, b) => b.literalSegments - a.literalSegments);

  return (method: string, path: string): MatchedRoute<R> | { methodNotAllowed: true } | undefined => {
    let pathMatched = false;
    for (const candidate of compiled) {
      const match = candidate.regex.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (candidate.route.method !== method) continue;
      const pathParameters: Record<string, string> = {};
      candidate.names.forEach((name, i) => {
        // API Gateway hands handlers decoded path parameters.
        const raw = match[i + 1]!;
        try {
          pathParameters[name] = decodeURIComponent(raw);
        } catch {
          pathParameters[name] = raw;
        }
      });
      return { route: candidate.route, pathParameters };
    }
    return pathMatched ? { methodNotAllowed: true } : undefined;
  };
}
