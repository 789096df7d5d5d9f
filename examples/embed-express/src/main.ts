import { createRoster } from '@roster/core';
import { createApp } from './app.js';

// `pnpm start`: the app on http://127.0.0.1:3100 with contacts in ./embed-example.db.
const roster = await createRoster({ database: process.env.CONTACTS_DB ?? './embed-example.db' });
await roster.jobs.start(); // CSV imports and bulk operations queued through /api run in this process
const app = await createApp(roster, [
  { name: 'alice', team: 'acme', password: 'alice-password' },
  { name: 'bob', team: 'globex', password: 'bob-password' },
]);
const port = Number(process.env.PORT ?? 3100);
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`example app on http://127.0.0.1:${port} (POST /login, GET /api/contacts, POST /signup/acme)`);
});
const stop = () => server.close(() => void roster.close());
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
