// Example values and response builders the Plunk, roster and Unosend OpenAPI documents share,
// so their examples agree with each other.

export const PROJECT_ID = '0193a1b2-6f00-7a10-9c3e-2b4d6f8a0c1e';
export const JOB_ID = '0193a1b2-8000-7abc-9def-0123456789ab';
export const AT = '2026-11-23T19:40:00.000Z';
export const LATER = '2026-11-23T19:45:12.345Z';

/** Plunk's error envelope as an example (roster's own routes answer with it too). */
export function plunkErrorExample(code: string, statusCode: number, message: string, errors?: object[]) {
  return {
    success: false,
    error: { code, message, statusCode, ...(errors ? { errors } : {}) },
    timestamp: AT,
  };
}

/** A 400 in Plunk's envelope whose `errors` name one field: `field: message`. */
export function plunkFieldError(description: string, field: string, message: string) {
  return {
    description,
    schema: 'PlunkError',
    example: plunkErrorExample('VALIDATION_ERROR', 400, `${field}: ${message}`, [{ field, message }]),
  };
}

/** The 401 of every route behind `Authorization: Bearer sk_...`. */
export const plunkUnauthorized = {
  description: 'No `Authorization: Bearer <key>` header, a public `pk_` key, or an unknown or revoked key',
  schema: 'PlunkError',
  example: plunkErrorExample('INVALID_API_KEY', 401, 'Invalid API key'),
};

/** A response in Plunk's error envelope (no `errors`). */
export function plunkErrorResponse(description: string, code: string, statusCode: number, message: string) {
  return { description, schema: 'PlunkError', example: plunkErrorExample(code, statusCode, message) };
}
