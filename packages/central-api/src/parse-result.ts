import { z } from 'zod';

/** Outcome of parsing one configuration value: the value, or a message that starts with "expected". */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Turns a ParseResult parser into an optional zod variable, so that a bad value is reported like any other. */
export const parsedVariable = <T>(parse: (raw: string | undefined) => ParseResult<T>) =>
  z
    .string()
    .optional()
    .transform((raw, context) => {
      const result = parse(raw);
      if (result.ok) return result.value;
      context.addIssue({ code: 'custom', message: result.message, input: raw });
      return z.NEVER;
    });

/** A variable that is no longer read: unset (or empty) is fine, any value stops the start with `message`. */
export const retiredVariable = (message: string) =>
  z
    .string()
    .optional()
    .superRefine((raw, context) => {
      if (raw !== undefined && raw.trim() !== '') context.addIssue({ code: 'custom', message, input: raw });
    })
    .transform(() => undefined);
