import { csvQuoted, type Roster, RosterError } from '@roster/core';
import type { Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf } from '../auth.js';
import { audienceNames, escapedCell, streamExport } from '../export-stream.js';
import { stringParam } from './unosend-params.js';

/** `GET /contacts/export`: every contact (or an audience's) as Unosend's CSV or JSON, streamed. */
export function registerUnosendExportRoutes(router: Router, roster: Roster): void {
  router.get('/contacts/export', async (req, res) => {
    const format = stringParam(req.query.format) ?? 'csv';
    if (format !== 'csv' && format !== 'json') {
      throw RosterError.validation([{ field: 'format', message: 'must be csv or json' }]);
    }
    // Cells a spreadsheet would run as formulas get a leading `'` unless `escape_formulas=false`.
    const escapeParam = stringParam(req.query.escape_formulas) ?? 'true';
    if (escapeParam !== 'true' && escapeParam !== 'false') {
      throw RosterError.validation([{ field: 'escape_formulas', message: 'must be true or false' }]);
    }
    const cell = escapeParam === 'true' ? escapedCell : csvQuoted;
    const projectId = projectIdOf(res);
    const audienceId = stringParam(req.query.audience_id);
    await recordAudit(roster, req, res, {
      action: 'contacts.exported',
      target: null,
      detail: { format, filters: audienceId ? { audience_id: audienceId } : {} },
    });
    await streamExport(
      res,
      () => roster.contacts.stream(projectId, { audienceId }),
      format,
      cell,
      () => audienceNames(roster, projectId),
    );
  });
}
