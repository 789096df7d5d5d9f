import type { Roster } from '@roster/core';
import type { Command } from 'commander';
import {
  ALLOW_PRIVATE_WEBHOOKS_ENV,
  CliError,
  DB_HELP,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_PROJECT,
  PRIVATE_WEBHOOKS_HINT,
  parsePort,
  userPath,
} from '../config.js';
import { readServeConfig, resolveServeSettings, type ServeFlagValues } from '../config-file.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../observability.js';
import { holdServeLock, isSqliteFile } from '../serve-lock.js';

interface ServeFlags extends ServeFlagValues {
  apiKey: string[];
  config?: string;
  logFormat?: string;
  logLevel?: string;
  metricsPort?: string;
  metricsHost?: string;
}

/** `--log-format`, `--log-level`, `--metrics-port`, `--metrics-host`, checked before anything starts. */
function observabilitySettings(flags: ServeFlags, stdoutIsTty: boolean) {
  const format = flags.logFormat ?? (stdoutIsTty ? 'pretty' : 'json');
  if (!(LOG_FORMATS as readonly string[]).includes(format))
    throw new CliError(
      `--log-format must be one of ${LOG_FORMATS.join(', ')} (got ${JSON.stringify(format)})`,
    );
  const level = flags.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(level)})`);
  if (flags.metricsPort !== undefined && !/^\d+$/.test(flags.metricsPort))
    throw new CliError(
      `--metrics-port must be a port number from 0 to 65535 (got ${JSON.stringify(flags.metricsPort)})`,
    );
  const metricsPort = flags.metricsPort === undefined ? undefined : parsePort(flags.metricsPort, 0);
  if (flags.metricsHost !== undefined && metricsPort === undefined)
    throw new CliError('--metrics-host needs --metrics-port');
  return {
    format: format as LogFormat,
    level: level as LogLevel,
    metricsPort,
    metricsHost: flags.metricsHost ?? '127.0.0.1',
  };
}

/** Makes sure the default project can be reached: registers `--api-key`s, or mints a first key. */
async function ensureKeys(roster: Roster, apiKeys: string[], print: (line: string) => void): Promise<void> {
  const project = await roster.projects.ensure(DEFAULT_PROJECT);
  for (const key of apiKeys) await roster.keys.register(project.id, key);
  if ((await roster.keys.countActive()) === 0) {
    const created = await roster.keys.create(project.id, { prefix: 'sk_' });
    await roster.audit.record(project.id, {
      actor: 'cli',
      action: 'key.created',
      target: created.id,
      detail: { prefix: created.prefix, firstStart: true },
    });
    print(`Created project "${project.name}" with API key (shown once, keep it): ${created.key}`);
  }
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Start the HTTP server: the Plunk-compatible API at /contacts and the Unosend-compatible API at /v1',
    )
    .addHelpText(
      'after',
      `
Routes:
  /contacts, /contacts/...     Plunk-compatible contacts API (Bearer key)
  /v1/contacts, /v1/audiences  Unosend-compatible contacts and audiences API (Bearer key)
  /openapi/plunk.json          OpenAPI 3.1 document of the Plunk API (no key)
  /roster/webhooks, ...        roster's management API: keys, imports, webhooks, consent (secret key)
  /confirm, /unsubscribe,      the public consent pages (no key: the link's token is the proof)
  /preferences
  /openapi/unosend.json        OpenAPI 3.1 document of the Unosend API (no key)
  /health                      {"status":"ok"}: liveness (no key)
  /readyz                      200 when the database, the migrations and the job runner are ready, else 503 (no key)
  /metrics                     Prometheus metrics, only on --metrics-port (a listener of its own)

On first start (no key in the database) a key for the "default" project is created and
printed once; \`roster keys create\` makes more.`,
    )
    .option('--port <port>', `port to listen on (env PORT, default ${DEFAULT_PORT})`)
    .option('--host <host>', `interface to bind (env HOST, default ${DEFAULT_HOST})`)
    .option('--db <path|url>', DB_HELP)
    .option('--api-key <key>', 'register this exact key for the default project (repeatable)', collect, [])
    .option('--concurrency <n>', 'background jobs (imports, bulk operations) run at once (default 2)')
    .option(
      '--webhook-concurrency <n>',
      'webhook delivery attempts run at once, apart from the jobs above (default 4)',
    )
    .option(
      '--lock-timeout <ms>',
      'a job lock older than this is released and the job runs again in any process (default 30000)',
    )
    .option(
      '--poll-interval <ms>',
      'how often the job runner looks for due jobs when nothing woke it (default 500)',
    )
    .option('--max-connections <n>', 'open connections at once (default 1000)')
    .option(
      '--max-connections-per-client <n>',
      "open connections at once from one remote address (the socket's peer: behind a proxy, the proxy; default 100)",
    )
    .option('--headers-timeout <ms>', 'time a client has to send the request head (default 10000)')
    .option('--request-timeout <ms>', 'time a client has to send the whole request (default 60000)')
    .option('--keep-alive-timeout <ms>', 'idle keep-alive connections close after this (default 5000)')
    .option('--json-limit <bytes>', 'largest JSON request body of the API routes (default 1048576)')
    .option('--max-import-bytes <bytes>', 'largest CSV import file (default 5242880)')
    .option('--track-json-limit <bytes>', "largest body of Plunk's public POST /v1/track (default 65536)")
    .option(
      '--track-rate-limit <per-second>',
      'POST /v1/track requests per second one client address may keep sending (default 100)',
    )
    .option('--track-burst <n>', 'POST /v1/track requests one client address may send at once (default 200)')
    .option(
      '--trust-proxy <value>',
      "believe X-Forwarded-For/-Proto from these proxies (Express's trust proxy): true, a hop count, or addresses/subnets such as loopback or 10.0.0.0/8, comma-separated (env ROSTER_TRUST_PROXY, default: none)",
    )
    .option(
      '--rate-limit <buckets>',
      'per-project rate limits shared by every process on the database, bucket=per-second/burst comma-separated: contacts:write (contact create/update/delete in every API), track (POST /v1/track), e.g. contacts:write=50/100,track=100/200 (env ROSTER_RATE_LIMIT, default: none)',
    )
    .option('--audit-retention-days <n>', 'days audit log entries are kept (default 365)')
    .option(
      '--allow-private-webhook-targets',
      `let webhooks go to private, loopback and link-local addresses, for local development and tests (env ${ALLOW_PRIVATE_WEBHOOKS_ENV}=1, config allowPrivateWebhookTargets)`,
    )
    .option(
      '--log-format <format>',
      'json (one JSON object per line, the default when stdout is not a terminal) or pretty',
    )
    .option('--log-level <level>', 'fatal, error, warn, info (default), debug, trace or silent')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics at /metrics on this port, a listener apart from the API (default: none)',
    )
    .option('--metrics-host <host>', 'interface of the metrics listener (default 127.0.0.1)')
    .option(
      '--public-url <url>',
      'public base URL of the consent pages (/confirm, /unsubscribe, /preferences) that links start with (env ROSTER_PUBLIC_URL, default http://<host>:<port>)',
    )
    .option(
      '--config <file>',
      'JSON file with port, host, db, apiKeys, concurrency, webhookConcurrency, lockTimeoutMs, pollIntervalMs, trustProxy, rateLimit, auditRetentionDays, publicUrl and the limits above (flags and env win)',
    )
    .action(async (flags: ServeFlags) => {
      const file = flags.config === undefined ? {} : readServeConfig(userPath(flags.config));
      const {
        port,
        host,
        database,
        apiKeys,
        concurrency,
        webhookConcurrency,
        lockTimeoutMs,
        pollIntervalMs,
        limits,
        allowPrivateWebhookTargets,
        trustProxy,
        rateLimits,
        auditRetentionDays,
        publicUrl,
      } = resolveServeSettings(flags, process.env, file);
      const observability = observabilitySettings(flags, process.stdout.isTTY === true);
      // Loaded here, not at the top: `roster --help` must not pay for core, Express and the drivers.
      const [
        { createRoster },
        { startServer },
        { createServerLogger, startMetricsServer },
        { createMetrics },
      ] = await Promise.all([
        import('@roster/core'),
        import('../server.js'),
        import('../observability.js'),
        import('@roster/express'),
      ]);
      const logger = createServerLogger({ format: observability.format, level: observability.level });
      const roster = await createRoster({
        logger,
        database,
        ...(publicUrl === undefined ? {} : { publicUrl }),
        jobs: { concurrency, lockTimeoutMs, pollIntervalMs },
        limits: { maxImportBytes: limits.maxImportBytes },
        audit: { retentionDays: auditRetentionDays },
        webhooks: {
          allowPrivateTargets: allowPrivateWebhookTargets,
          privateTargetsHint: PRIVATE_WEBHOOKS_HINT,
          concurrency: webhookConcurrency,
        },
      });
      const metrics =
        observability.metricsPort === undefined
          ? undefined
          : createMetrics(roster, {
              onError: (error) => logger.warn({ err: error }, 'metrics query failed'),
            });
      // The port is bound before anything is created (a first key printed by a server that then
      // cannot listen would be lost).
      const running = await startServer({
        roster,
        port,
        host,
        logger,
        metrics,
        readiness: { jobRunner: true },
        jsonLimitBytes: limits.jsonLimitBytes,
        trustProxy,
        trackJsonLimitBytes: limits.trackJsonLimitBytes,
        trackRateLimit: { perSecond: limits.trackRatePerSecond, burst: limits.trackBurst },
        rateLimits: { buckets: rateLimits },
        limits: {
          maxConnections: limits.maxConnections,
          maxConnectionsPerClient: limits.maxConnectionsPerClient,
          headersTimeoutMs: limits.headersTimeoutMs,
          requestTimeoutMs: limits.requestTimeoutMs,
          keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
        },
      }).catch(async (error: unknown) => {
        await roster.close();
        const code = (error as { code?: unknown }).code;
        if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use; try --port`);
        if (code === 'EACCES') throw new CliError(`port ${port} needs privileges to listen on; try --port`);
        if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on host ${host}; try --host`);
        // A setting the server refused (e.g. a trust proxy value that is no address).
        if (error instanceof RangeError) throw new CliError(error.message.replace(/^roster: /, ''));
        throw error;
      });
      const metricsServer =
        metrics === undefined
          ? undefined
          : await startMetricsServer(metrics, {
              port: observability.metricsPort!,
              host: observability.metricsHost,
            }).catch(async (error: unknown) => {
              await running.close();
              await roster.close();
              const code = (error as { code?: unknown }).code;
              const where = `${observability.metricsHost}:${observability.metricsPort}`;
              if (code === 'EADDRINUSE')
                throw new CliError(`metrics port ${where} is in use; try --metrics-port`);
              if (code === 'EACCES')
                throw new CliError(`metrics port ${where} needs privileges; try --metrics-port`);
              if (code === 'EADDRNOTAVAIL')
                throw new CliError(
                  `cannot listen on metrics host ${observability.metricsHost}; try --metrics-host`,
                );
              throw error;
            });
      // While it runs, a SQLite file carries this server's lock (roster restore refuses to replace it).
      const releaseLock = isSqliteFile(database) ? holdServeLock(database) : () => {};
      await ensureKeys(roster, apiKeys, (line) => console.log(line));
      await roster.jobs.start();

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal} received: finishing in-flight requests`);
        await running.close();
        await metricsServer?.close();
        metrics?.close();
        await roster.close();
        logger.flush();
        releaseLock();
        console.log('roster stopped');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      // Printed last: whoever waits for this line may signal right away.
      if (metricsServer) console.log(`roster metrics on ${metricsServer.url}`);
      console.log(`roster listening on ${running.url}`);
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
