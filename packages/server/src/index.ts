export { createServerApp, type ServerAppOptions } from './app.js';
export { type RunningServer, type StartServerOptions, startServer } from './server.js';
