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
    withChangeSource({ source, clientAddress: req.ip ?? req.socket.remoteAddress ?? null }, next);
  };
}
