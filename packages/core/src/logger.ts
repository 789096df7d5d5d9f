/**
 * The logger roster writes to: the subset of pino's API it calls, so a pino logger (or any logger
 * with these methods, e.g. a pino child) can be passed as `createRoster({ logger })`. Each call
 * gets an object of fields first and a message second, as pino takes them.
 */
export interface RosterLogger {
  error(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
}

const ignore = () => {};

/** The logger of a roster created without one: it writes nothing. */
export const silentLogger: RosterLogger = Object.freeze({
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
});

/** The logger to use for `logger` as given: undefined is silence; anything else must have the four methods. */
export function resolveLogger(logger: RosterLogger | undefined, name = 'logger'): RosterLogger {
  if (logger === undefined) return silentLogger;
  for (const method of ['error', 'warn', 'info', 'debug'] as const) {
    if (typeof (logger as unknown as Record<string, unknown>)?.[method] !== 'function')
      throw new TypeError(`roster: ${name} must have error, warn, info and debug methods (a pino logger)`);
  }
  return logger;
}
