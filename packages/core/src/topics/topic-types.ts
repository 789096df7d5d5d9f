import type { TopicRow } from '../db/schema.js';

export const TOPIC_SUBSCRIPTIONS = ['opt_in', 'opt_out'] as const;
/** A contact's subscription to a topic (Resend's words). */
export type TopicSubscription = (typeof TOPIC_SUBSCRIPTIONS)[number];

export const TOPIC_VISIBILITIES = ['public', 'private'] as const;
/** Whether the topic shows on a contact's preference page (`public`) or not (`private`). */
export type TopicVisibility = (typeof TOPIC_VISIBILITIES)[number];

/** A topic of a project: a kind of email a contact opts in to or out of (Resend's Topic). */
export interface Topic {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  /** The subscription of every contact that has not chosen one. Fixed at creation (as in Resend). */
  defaultSubscription: TopicSubscription;
  visibility: TopicVisibility;
  createdAt: string;
  updatedAt: string;
}

/** One topic as seen by one contact: its explicit choice, else the topic's default. */
export interface ContactTopic {
  id: string;
  name: string;
  description: string | null;
  subscription: TopicSubscription;
  /** True when `subscription` is the contact's own choice, false when it is the topic's default. */
  explicit: boolean;
}

/** One topic whose effective subscription a write changed, as `contact.updated` names it. */
export interface TopicChange {
  id: string;
  name: string;
  subscription: TopicSubscription;
  previous: TopicSubscription;
}

export function rowToTopic(row: TopicRow): Topic {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    defaultSubscription: row.default_subscription,
    visibility: row.visibility,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
