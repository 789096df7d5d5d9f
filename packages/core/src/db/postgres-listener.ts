import { createRequire } from 'node:module';

/** The channel roster's job queue notifies on; the payload is the schema of the `roster_jobs` table. */
export const JOBS_CHANNEL = 'roster_jobs';

/** Delay before a lost LISTEN connection is opened again. */
const RECONNECT_DELAY_MS = 1000;

/** Closes the listener. */
export type StopListening = () => Promise<void>;

/**
 * Listens on `JOBS_CHANNEL` (and the channels of `others`, each with its own callback) over a
 * dedicated connection to `url` (not one of the pool's: a LISTEN session must stay open). Calls
 * `onWake` (or the channel's callback) for every notification about this connection's schema
 * (the search path of `url`: roster databases in other schemas of the server are ignored), and
 * once after every reconnection, since notifications sent while disconnected are lost. A lost
 * connection (or one that cannot be opened) is retried every second; errors go to `onError`, never
 * to the caller: until the connection works, the runner's polling picks jobs up.
 */
export async function listenForJobs(
  url: string,
  onWake: () => void,
  onError: (error: unknown) => void,
  others: Record<string, () => void> = {},
): Promise<StopListening> {
  const callbacks = new Map<string, () => void>([[JOBS_CHANNEL, onWake], ...Object.entries(others)]);
  const require = createRequire(import.meta.url);
  const pg: typeof import('pg') = require('pg');
  let closed = false;
  let client: import('pg').Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (reconnecting: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    const lost = (error?: unknown) => {
      if (error) onError(error);
      if (client !== next) return;
      client = null;
      next.end().catch(() => {});
      if (!closed) {
        retry = setTimeout(() => void connect(true), RECONNECT_DELAY_MS);
        retry.unref();
      }
    };
    next.on('error', lost);
    next.on('end', () => lost());
    client = next;
    try {
      await next.connect();
      const { rows } = await next.query<{ schema: string }>('select current_schema() as schema');
      const schema = rows[0]?.schema ?? 'public';
      next.on('notification', (message) => {
        if (message.payload === schema) callbacks.get(message.channel)?.();
      });
      for (const channel of callbacks.keys()) await next.query(`listen ${channel}`);
      if (closed) await next.end();
      else if (reconnecting) for (const callback of callbacks.values()) callback();
    } catch (error) {
      lost(error);
    }
  };

  await connect(false);
  return async () => {
    closed = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end().catch(() => {});
  };
}
