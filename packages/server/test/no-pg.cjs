// @ts-nocheck: a tiny CommonJS preload patching a private Node hook.
// Preloaded (`node --require`) by tests: `pg` cannot be resolved, as on a machine without it installed.
const Module = require('node:module');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'pg' || request.startsWith('pg/')) {
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
