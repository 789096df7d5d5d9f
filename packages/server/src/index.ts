export {
  createServerApp,
  DEFAULT_JSON_LIMIT_BYTES,
  type ServerAppOptions,
  type TrustProxy,
} from './app.js';
export {
  type RunningServer,
  SERVER_LIMIT_DEFAULTS,
  type ServerLimits,
  type StartServerOptions,
  startServer,
} from './server.js';
