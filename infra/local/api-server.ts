import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { routeGroups, routeKey, routeList, type RouteGroup } from '#shared/api/route-table.ts';
import { ApiError } from '#shared/errors.ts';
import { problemResponse } from '#shared/http/problem.ts';
import { AUTHORIZER_CACHE_TTL_SECONDS } from '#shared/http/authorizer-context.ts';
import { createRouteMatcher } from './route-matcher.ts';
import { functionContext } from './lambda-endpoint.ts';
import { consoleHandler, isConsolePath } from './console-static.ts';

type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;
type ApiHandler = LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
type AuthorizerHandler = LambdaHandler<APIGatewayRequestAuthorizerEventV2, { isAuthorized: boolean; context?: Record<string, unknown> }>;

/** API Gateway's own payload limit; our handlers enforce the contract's 256 KiB. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const LAMBDA_TIMEOUT_MS = 29_000;

/** The Lambda context an API function gets (API Gateway gives an integration 29 s). */
export const lambdaContext = (functionName: string, requestId = randomUUID()): Context => functionContext(functionName, LAMBDA_TIMEOUT_MS / 1000, requestId);

/** Loads the same handler modules that the CDK stack bundles into each Lambda function. */
async function loadHandlers() {
  const handlers = new Map<RouteGroup, ApiHandler>();
  for (const group of routeGroups) {
    const module = (await import(`../../functions/api/${group}.ts`)) as { handler: ApiHandler };
    handlers.set(group, module.handler);
  }
  const authorizer = ((await import('#functions/authorizer.ts')) as { handler: AuthorizerHandler }).handler;
  return { handlers, authorizer };
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body ?? '');
}

/**
 * The local stand-in for API Gateway (HTTP API, payload v2): matches the route table,
 * builds the same event API Gateway would, runs the authorizer Lambda and then the
 * route group's Lambda handler, in process.
 */
export async function startApiServer(options: { port?: number; host?: string; log?: (line: string) => void; /** The built web console (default console/dist); false: none. */ consoleDir?: string | false } = {}) {
  const { handlers, authorizer } = await loadHandlers();
  const match = createRouteMatcher(routeList);
  // The web console beside the API (CloudFront + S3 on AWS): /console/ is not an API route.
  const serveConsole = options.consoleDir === false ? undefined : consoleHandler(options.consoleDir);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    if (serveConsole && isConsolePath(url.pathname)) return serveConsole(req, res, url);
    const found = match(method, url.pathname);
    if (!found || 'methodNotAllowed' in found) {
      const detail = found ? `${method} is not allowed on ${url.pathname}` : `no route for ${method} ${url.pathname}`;
      return send(res, problemResponse(new ApiError('not_found', detail), requestId));
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      return send(res, problemResponse(new ApiError('payload_too_large', 'request body exceeds the gateway limit'), requestId));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
    }
    // API Gateway tells the handler how the client reached it; locally that is plain HTTP.
    headers['x-forwarded-proto'] ??= 'http';
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
    const key = routeKey(found.route);
    const now = new Date();
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const http = { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' };
    const requestContext = {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http,
      requestId,
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    };
    // Text comes as a string, anything else (binary types, bytes that are not UTF-8) as base64.
    const textual = !headers['content-type'] || /json|text|yaml|x-www-form-urlencoded/.test(headers['content-type']);
    const isText = body.length === 0 || (textual && isUtf8(body));
    const event: APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda: Record<string, unknown> } } } = {
      version: '2.0',
      routeKey: key,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(found.pathParameters).length ? found.pathParameters : undefined,
      requestContext,
      body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
      isBase64Encoded: body.length > 0 && !isText,
    };
    if (found.route.permission !== 'public') {
      event.requestContext.authorizer = { lambda: await authorize(headers, method, url, key, event, requestContext, requestId) };
    }
    const handler = handlers.get(found.route.group)!;
    const result = await handler(event, lambdaContext(`palette-${found.route.group}`, requestId));
    send(res, result);
  };

  /**
   * The authorizer's answer for this Authorization header, cached like API Gateway's
   * (identity source → context, AUTHORIZER_CACHE_TTL_SECONDS), so that local numbers
   * mean what they will mean on AWS: most requests never run the authorizer.
   */
  const authorizerCache = new Map<string, { context: Record<string, unknown>; until: number }>();
  const authorize = async (
    headers: Record<string, string>,
    method: string,
    url: URL,
    key: string,
    event: APIGatewayProxyEventV2,
    requestContext: APIGatewayProxyEventV2['requestContext'],
    requestId: ReturnType<typeof randomUUID>,
  ): Promise<Record<string, unknown>> => {
    const identity = headers.authorization;
    const cached = identity ? authorizerCache.get(identity) : undefined;
    if (cached && cached.until > Date.now()) return cached.context;
    const authorization = await authorizer(
      {
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${method}${url.pathname}`,
        identitySource: headers.authorization ? [headers.authorization] : [],
        routeKey: key,
        rawPath: url.pathname,
        rawQueryString: event.rawQueryString,
        headers,
        queryStringParameters: event.queryStringParameters,
        pathParameters: event.pathParameters,
        requestContext,
      } as APIGatewayRequestAuthorizerEventV2,
      lambdaContext('authorizer', requestId),
    );
    const context = authorization.context ?? {};
    if (identity) {
      if (authorizerCache.size >= 10_000) authorizerCache.clear();
      authorizerCache.set(identity, { context, until: Date.now() + AUTHORIZER_CACHE_TTL_SECONDS * 1000 });
    }
    return context;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.(`local gateway error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) send(res, problemResponse(new ApiError('internal', 'the local gateway failed'), undefined));
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
