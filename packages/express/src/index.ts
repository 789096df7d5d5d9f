export {
  type AuthOptions,
  authenticate,
  bearerKeyResolver,
  projectIdOf,
  type ResolveProject,
} from './auth.js';
export { changeSource } from './consent/change-source.js';
export { CONSENT_PAGE_PATHS, type ConsentPagesOptions, createConsentPages } from './consent/pages.js';
export { escapeHtml } from './consent/pages-html.js';
export { DASHBOARD_CSRF_HEADER, type DashboardOptions, dashboard } from './dashboard/dashboard.js';
export type { SignInLimits } from './dashboard/sessions.js';
export {
  type AuthFailureReason,
  classifyError,
  HttpAuthError,
  type HttpError,
  RateLimitedError,
  STATUS_BY_CODE,
} from './errors.js';
export { createInboundRouter, type InboundRouterOptions } from './inbound/router.js';
export {
  createMetrics,
  MAX_TOP_PROJECTS,
  type MetricsOptions,
  type RosterMetrics,
} from './observability/metrics.js';
export { readinessHandler } from './observability/readiness.js';
export {
  type ObservedRequest,
  type ObserveOptions,
  observeRequests,
  REQUEST_ID_HEADER,
  type RequestRecorder,
  type RosterDialect,
  requestIdOf,
  routePatternOf,
} from './observability/request-observer.js';
export { type OpenApiOptions, plunkOpenApi } from './openapi/plunk.js';
export { resendOpenApi } from './openapi/resend.js';
export { rosterOpenApi } from './openapi/roster.js';
export { type UnosendOpenApiOptions, unosendOpenApi } from './openapi/unosend.js';
export { toPlunkContact, toPlunkErrorBody } from './plunk/plunk-format.js';
export { createPlunkRouter, type PlunkRouterOptions, plunkLimit } from './plunk/router.js';
export {
  TRACK_JSON_LIMIT_DEFAULT,
  TRACK_RATE_LIMIT_DEFAULT,
  type TrackRateLimit,
} from './plunk/track-route.js';
export {
  contactsWriteBucket,
  PROJECT_RATE_LIMIT_BUCKETS,
  type ProjectRateLimitBucket,
  type ProjectRateLimits,
  projectRateLimit,
} from './rate-limit.js';
export { toResendContact, toResendErrorBody, toResendTime } from './resend/resend-format.js';
export {
  createResendRouter,
  RESEND_KEY_PREFIX,
  RESEND_ROUTE_PATHS,
  type ResendRouterOptions,
} from './resend/router.js';
export { createRosterRouter, ROSTER_ROUTE_PATHS, type RosterRouterOptions } from './roster/router.js';
export {
  createUnosendRouter,
  UNOSEND_DEFAULT_LIMIT,
  UNOSEND_MAX_LIMIT,
  type UnosendRouterOptions,
} from './unosend/router.js';
export {
  toUnosendAudience,
  toUnosendContact,
  toUnosendErrorBody,
  toUnosendNewAudience,
  toUnosendNewContact,
} from './unosend/unosend-format.js';
