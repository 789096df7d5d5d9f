import type { Roster } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { toResendContactTopic, toResendTopic } from './resend-format.js';
import { asTopicsField, contactOf, registerResendResource, sendPage } from './resend-params.js';

/** Resend's topics (`/topics`) and a contact's subscriptions (`/contacts/{id_or_email}/topics`). */
export function registerResendTopicRoutes(router: Router, roster: Roster): void {
  registerResendResource(router, '/topics', 'topic', roster.topics, {
    create: (body) => ({
      name: body.name as string,
      description: body.description as string | undefined,
      defaultSubscription: body.default_subscription as 'opt_in',
      ...(body.visibility !== undefined ? { visibility: body.visibility as 'public' } : {}),
    }),
    wire: toResendTopic,
    patch: (body) => ({
      ...(body.name !== undefined ? { name: body.name as string } : {}),
      ...(body.description !== undefined ? { description: body.description as string } : {}),
      ...(body.visibility !== undefined ? { visibility: body.visibility as 'public' } : {}),
      ...(body.default_subscription !== undefined
        ? { defaultSubscription: body.default_subscription as never }
        : {}),
    }),
    deleted: (res, id) => res.json({ object: 'topic', id, deleted: true }),
  });

  router.get('/contacts/:id/topics', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    sendPage(req, res, await roster.topics.contactTopics(projectId, contact.id), toResendContactTopic);
  });
  // The SDK sends a bare array; Resend's OpenAPI document `{ topics: [...] }`: both are accepted.
  router.patch('/contacts/:id/topics', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    const body: unknown = req.body;
    const topics = Array.isArray(body) ? body : requireObject(body).topics;
    await asTopicsField(() =>
      roster.topics.setContactTopics(
        projectId,
        contact.id,
        topics as Parameters<Roster['topics']['setContactTopics']>[2],
      ),
    );
    res.json({ id: contact.id });
  });
}
