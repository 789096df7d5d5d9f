import type { ImportProgress, Roster } from '@roster/core';
import { RosterError } from '@roster/core';
import express, { type Router } from 'express';
import { authenticate, projectIdOf, type ResolveProject } from '../auth.js';
import { logUnexpected } from '../errors.js';
import { toPlunkErrorBody } from '../plunk/plunk-format.js';
import { finishDialectRouter, privateAnswers, requireObject } from '../router-kit.js';

export interface RosterRouterOptions {
  /**
   * Resolve the project from the request yourself instead of `Authorization: Bearer sk_...` keys.
   * @default Bearer secret keys stored hashed in the roster database
   */
  resolveProject?: ResolveProject;
  /**
   * Called with every unexpected error (the client gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
}

/** The paths the management router serves, relative to where it is mounted. */
export const ROSTER_ROUTE_PATHS = ['/project', '/keys', '/imports'];

/** What `GET /imports/:jobId` answers: the job's state plus the rows counted so far. */
export function toImportView(
  status: Awaited<ReturnType<Roster['imports']['status']>>,
  progress: ImportProgress | null,
) {
  const counts = status.result ?? progress?.counts ?? null;
  return {
    id: status.id,
    state: status.state,
    progress: status.progress,
    rows: counts
      ? {
          total: counts.totalRows,
          created: counts.createdCount,
          updated: counts.updatedCount,
          failed: counts.failureCount,
        }
      : { total: 0, created: 0, updated: 0, failed: 0 },
    errors: status.result?.errors ?? progress?.errors ?? [],
    ...(status.failedReason === undefined ? {} : { failedReason: status.failedReason }),
    createdAt: status.createdAt,
    updatedAt: status.updatedAt,
  };
}

/**
 * roster's own management API, beyond what Plunk and Unosend define: the caller's project, its API
 * keys, and an import's row counts while it runs. Mount it at `/roster`; authenticated like the
 * Plunk router (secret keys), errors in Plunk's envelope.
 */
export function createRosterRouter(roster: Roster, options: RosterRouterOptions = {}): Router {
  const router = express.Router();
  const onError = options.onError ?? logUnexpected;

  router.use(
    ROSTER_ROUTE_PATHS,
    privateAnswers,
    // The key is checked from the headers before any body is read.
    authenticate(roster, {
      resolveProject: options.resolveProject,
      rejectPrefixes: [{ prefix: 'pk_', message: 'This endpoint requires a secret key (sk_*)' }],
    }),
    express.json({ limit: '16kb' }),
  );

  router.get('/project', async (_req, res) => {
    const project = await roster.projects.get(projectIdOf(res));
    res.json({ id: project.id, name: project.name, createdAt: project.createdAt });
  });

  router.get('/keys', async (_req, res) => {
    res.json({ data: await roster.keys.list(projectIdOf(res)) });
  });

  router.post('/keys', async (req, res) => {
    const body = requireObject(req.body);
    if (body.prefix !== undefined && typeof body.prefix !== 'string') {
      throw RosterError.validation([{ field: 'prefix', message: 'must be a string' }]);
    }
    res.status(201).json(await roster.keys.create(projectIdOf(res), { prefix: body.prefix as string }));
  });

  router.delete('/keys/:id', async (req, res) => {
    await roster.keys.revoke(req.params.id, { projectId: projectIdOf(res) });
    res.status(204).end();
  });

  router.get('/imports/:jobId', async (req, res) => {
    const projectId = projectIdOf(res);
    const status = await roster.imports.status(projectId, req.params.jobId);
    const progress =
      status.state === 'completed' ? null : await roster.imports.progress(projectId, status.id);
    res.json(toImportView(status, progress));
  });

  finishDialectRouter(router, ROSTER_ROUTE_PATHS, toPlunkErrorBody, onError);
  return router;
}
