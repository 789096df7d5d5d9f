export {
  type AuthOptions,
  authenticate,
  bearerKeyResolver,
  projectIdOf,
  type ResolveProject,
} from './auth.js';
export { classifyError, type HttpError, STATUS_BY_CODE } from './errors.js';
export { toPlunkContact, toPlunkErrorBody } from './plunk/plunk-format.js';
export { createPlunkRouter, type PlunkRouterOptions, plunkLimit } from './plunk/router.js';
