import { type ChangeSource, currentChangeSource, withChangeSource } from '@roster/core';
import type { RequestHandler } from 'express';

const NONE: ChangeSource = Object.freeze({ source: '' });

/**
 * Names the origin of every write a request makes (`plunk`, `unosend`, `resend`, `roster`,
 * `dashboard`) with the client's address (`req.ip`: the socket's, or the proxy's forwarded one
 * when the app trusts its proxy), for the consent record. An outer mount that already named it
 * (the dashboard's `/api`) wins.
 */
export function changeSource(source: string): RequestHandler {
  return (req, _res, next) => {
    if (currentChangeSource(NONE) !== NONE) return next();
    // Only a write's consent record reads the address: `req.ip` (which parses `X-Forwarded-For`
    // under the app's `trust proxy`) is worked out on that first read, not on every request. The
    // socket's address is read now, while the connection is surely open (the socket keeps it).
    const peer = req.socket.remoteAddress;
    let address: string | null | undefined;
    withChangeSource(
      {
        source,
        get clientAddress() {
          if (address === undefined) address = req.ip ?? peer ?? null;
          return address;
        },
      },
      next,
    );
  };
}
