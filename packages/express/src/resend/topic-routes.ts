import type { Roster } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { resendList, toResendContactTopic, toResendTopic } from './resend-format.js';
import { asTopicsField, contactOf } from './resend-params.js';
import { pageOf } from './segment-routes.js';

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
    const page = pageOf(await roster.topics.list(projectIdOf(res)), req.query as Record<string, unknown>);
    res.json(resendList(page.data.map(toResendTopic), page.hasMore));
  });
  router.get('/topics/:id', async (req, res) => {
    res.json(toResendTopic(await roster.topics.get(projectIdOf(res), req.params.id as string)));
  });
  router.patch('/topics/:id', async (req, res) => {
    const body = requireObject(req.body);
    const topic = await roster.topics.update(projectIdOf(res), req.params.id as string, {
      ...(body.name !== undefined ? { name: body.name as string } : {}),
      ...(body.description !== undefined ? { description: body.description as string } : {}),
      ...(body.visibility !== undefined ? { visibility: body.visibility as 'public' } : {}),
      ...(body.default_subscription !== undefined
        ? { defaultSubscription: body.default_subscription as never }
        : {}),
    });
    res.json({ object: 'topic', id: topic.id });
  });
  router.delete('/topics/:id', async (req, res) => {
    const id = req.params.id as string;
    await roster.topics.delete(projectIdOf(res), id);
    res.json({ object: 'topic', id, deleted: true });
  });

  router.get('/contacts/:id/topics', async (req, res) => {
    const projectId = projectIdOf(res);
    const contact = await contactOf(roster, projectId, req.params.id as string);
    const topics = await roster.topics.contactTopics(projectId, contact.id);
    const page = pageOf(topics, req.query as Record<string, unknown>);
    res.json(resendList(page.data.map(toResendContactTopic), page.hasMore));
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
