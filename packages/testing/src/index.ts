export {
  type FixtureKeys,
  type RosterFixture,
  type StartRosterOptions,
  startRoster,
} from './fixture.js';
export { type SeedContactFields, type SeedOverrides, seedContactFields, seedContacts } from './seed.js';
