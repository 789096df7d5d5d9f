import type { Roster } from '@roster/core';
import { createPlunkRouter, toPlunkErrorBody } from '@roster/express';
import express, { type Express } from 'express';

export interface ServerAppOptions {
  /** Called with unexpected errors. @default logs to stderr */
  onError?: (error: unknown) => void;
}

/**
 * The standalone server's Express app: `GET /health`, then the provider dialects.
 * The Plunk router is mounted at `/` last, since its routes (`/contacts...`) sit at the root.
 */
export function createServerApp(roster: Roster, options: ServerAppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(createPlunkRouter(roster, { onError: options.onError }));
  app.use((req, res) => {
    res.status(404).json(
      toPlunkErrorBody({
        status: 404,
        code: 'route_not_found',
        message: `Route ${req.method} ${req.path} not found`,
        issues: [],
      }),
    );
  });
  return app;
}
