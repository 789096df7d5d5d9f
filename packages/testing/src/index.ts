export {
  type FixtureKeys,
  type FixtureWebhookReceiver,
  type FixtureWebhookReceiverOptions,
  type RosterFixture,
  type StartRosterOptions,
  startRoster,
} from './fixture.js';
export { type SeedContactFields, type SeedOverrides, seedContactFields, seedContacts } from './seed.js';
export {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './webhook-receiver.js';
