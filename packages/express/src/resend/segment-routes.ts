import { isRosterError, type Roster, type Segment } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { listContacts } from './contact-routes.js';
import { toResendListedSegment, toResendSegment } from './resend-format.js';
import { contactOf, sendPage, staticSegmentOf } from './resend-params.js';

/**
 * Resend's segments (`/segments`) and legacy audiences (`/audiences`, the same thing): roster's
 * STATIC segments. A contact's segments at `/contacts/{id_or_email}/segments`.
 */
export function registerResendSegmentRoutes(router: Router, roster: Roster): void {
  for (const [collection, object] of [
    ['/segments', 'segment'],
    ['/audiences', 'audience'],
  ] as const) {
    router.post(collection, async (req, res) => {
      const body = requireObject(req.body);
      const segment = await roster.segments.create(projectIdOf(res), {
        name: body.name as string,
        type: 'STATIC',
      });
      res.status(201).json({ object, id: segment.id, name: segment.name });
    });
    router.get(collection, async (req, res) => {
      const segments = (await roster.segments.list(projectIdOf(res))).filter((s) => s.type === 'STATIC');
      sendPage(req, res, segments, toResendListedSegment);
    });
    router.get(`${collection}/:id`, async (req, res) => {
      res.json(
        toResendSegment(await staticSegmentOf(roster, projectIdOf(res), req.params.id as string), object),
      );
    });
    // Resend answers `deleted: true` even for a segment it never had (see the recordings). A
    // dynamic segment is not one of Resend's: it is left alone, answered as a missing one.
    router.delete(`${collection}/:id`, async (req, res) => {
      const id = req.params.id as string;
      try {
        await staticSegmentOf(roster, projectIdOf(res), id);
        await roster.segments.delete(projectIdOf(res), id);
      } catch (error) {
        if (!(isRosterError(error) && error.code === 'not_found')) throw error;
      }
      res.json({ object, id, deleted: true });
    });
  }
  router.get('/segments/:id/contacts', (req, res) => listContacts(roster, req, res, req.params.id as string));

  router.get('/contacts/:id/segments', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    const segments: Segment[] = await roster.segments.ofContact(projectId, contact.id);
    sendPage(req, res, segments, toResendListedSegment);
  });
  router.post('/contacts/:id/segments/:segmentId', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    const segmentId = (await staticSegmentOf(roster, projectId, req.params.segmentId as string)).id;
    await roster.segments.addMembers(projectId, segmentId, { emails: [contact.email] });
    res.status(201).json({ id: segmentId });
  });
  router.delete('/contacts/:id/segments/:segmentId', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    const segmentId = (await staticSegmentOf(roster, projectId, req.params.segmentId as string)).id;
    await roster.segments.removeMembers(projectId, segmentId, { emails: [contact.email] });
    res.json({ id: segmentId, deleted: true });
  });
}
