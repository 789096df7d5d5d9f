// The multipart CSV upload of the import routes (Plunk's `POST /contacts/import` and roster's own
// `POST /imports`): one field `file`, its bounds, and multer's errors as RosterErrors.

import type { Roster } from '@roster/core';
import { RosterError } from '@roster/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';

/**
 * Bounds of the rest of an import's multipart body: the CSV is the only thing roster reads, so text
 * fields beside it are few and small (their memory is held until the request ends).
 */
export const MULTIPART_LIMITS = {
  /** Text fields beside the file. */
  fields: 10,
  /** Bytes of one text field's value. */
  fieldSize: 1024,
  /** Bytes of one field name. */
  fieldNameSize: 100,
  /** Parts in all (fields + the file). */
  parts: 11,
  /** Header lines of one part. */
  headerPairs: 20,
} as const;

function multipartLimitMessages(fieldSize: number): Record<string, string> {
  return {
    LIMIT_PART_COUNT: `has more than ${MULTIPART_LIMITS.parts} parts`,
    LIMIT_FIELD_COUNT: `has more than ${MULTIPART_LIMITS.fields} text fields`,
    LIMIT_FIELD_KEY: `has a field name longer than ${MULTIPART_LIMITS.fieldNameSize} bytes`,
    LIMIT_FIELD_VALUE: `has a text field longer than ${fieldSize} bytes`,
  };
}

/** A second file is a malformed request (400), not a large one: the upload takes exactly one. */
const ONE_FILE = 'must be one file: the request has more than one';

/**
 * Multipart field `file`, held in memory up to the import limit; multer's errors become RosterErrors.
 * File names are read as UTF-8, as browsers send them (multer's default, latin1, garbles `café.csv`).
 */
export function uploadFile(
  roster: Roster,
  options: {
    /** Bytes of one text field's value (Resend's JSON-encoded `column_map` can be long). */
    fieldSize?: number;
  } = {},
): RequestHandler {
  const limit = roster.options.limits.maxImportBytes;
  const fieldSize = options.fieldSize ?? MULTIPART_LIMITS.fieldSize;
  const messages = multipartLimitMessages(fieldSize);
  const upload = multer({
    storage: multer.memoryStorage(),
    // No `files` limit: `.single('file')` refuses any second file itself (LIMIT_UNEXPECTED_FILE, with
    // the field it came in), which names the field at fault; the part limit bounds the rest.
    limits: { ...MULTIPART_LIMITS, fieldSize, fileSize: limit },
    defParamCharset: 'utf8',
  }).single('file');
  return (req: Request, res: Response, next: NextFunction) => {
    upload(req, res, (error: unknown) => {
      if (!error) return next();
      // Read and discard what the client is still sending, so it receives the answer.
      req.resume();
      if (error instanceof multer.MulterError) {
        if (error.code === 'LIMIT_FILE_SIZE') {
          return next(
            RosterError.payloadTooLarge(`The file is larger than the limit of ${limit} bytes`, {
              field: 'file',
              limit,
            }),
          );
        }
        const bound = messages[error.code];
        if (bound) {
          return next(
            RosterError.payloadTooLarge(`The multipart body ${bound}`, {
              field: error.field ?? 'body',
              problem: bound,
            }),
          );
        }
        const field = error.field ?? 'file';
        if (
          error.code === 'LIMIT_FILE_COUNT' ||
          (error.code === 'LIMIT_UNEXPECTED_FILE' && field === 'file')
        ) {
          return next(RosterError.validation([{ field: 'file', message: ONE_FILE }], `file: ${ONE_FILE}`));
        }
        if (error.code === 'LIMIT_UNEXPECTED_FILE') {
          return next(
            RosterError.validation(
              [{ field, message: 'is not expected: send the CSV as the multipart field "file"' }],
              `Unexpected file field "${field}": send the CSV as the multipart field "file"`,
            ),
          );
        }
        return next(
          RosterError.validation(
            [{ field, message: error.message.toLowerCase() }],
            `${field}: ${error.message}`,
          ),
        );
      }
      next(RosterError.validation([{ field: 'body', message: 'is not a valid multipart/form-data body' }]));
    });
  };
}
