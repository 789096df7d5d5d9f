export {
  createServerApp,
  DEFAULT_JSON_LIMIT_BYTES,
  type ServerAppOptions,
  type TrustProxy,
} from './app.js';
export {
  createServerLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  type ServerLogger,
  type ServerLoggerOptions,
} from './observability.js';
export {
  type RunningServer,
  SERVER_LIMIT_DEFAULTS,
  type ServerLimits,
  type StartServerOptions,
  startServer,
} from './server.js';
