import type { Roster } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { registerItemRoutes, requireObject } from '../router-kit.js';
import { toResendContactTopic, toResendTopic } from './resend-format.js';
import { asTopicsField, contactOf, sendPage } from './resend-params.js';

/** Resend's topics (`/topics`) and a contact's subscriptions (`/contacts/{id_or_email}/topics`). */
export function registerResendTopicRoutes(router: Router, roster: Roster): void {
  router.post('/topics', async (req, res) => {
    const body = requireObject(req.body);
    const topic = await roster.topics.create(projectIdOf(res), {
      name: body.name as string,
      description: body.description as string | undefined,
      defaultSubscription: body.default_subscription as 'opt_in',
      ...(body.visibility !== undefined ? { visibility: body.visibility as 'public' } : {}),
    });
    res.status(201).json({ object: 'topic', id: topic.id });
  });
  router.get('/topics', async (req, res) => {
    sendPage(req, res, await roster.topics.list(projectIdOf(res)), toResendTopic);
  });
  registerItemRoutes(router, '/topics', roster.topics, {
    wire: toResendTopic,
    updated: (topic) => ({ object: 'topic', id: topic.id }),
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
