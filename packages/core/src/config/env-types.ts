import { z } from 'zod';

/** Reusable zod types for environment variables, with messages written for the person editing .env. */

export const envInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, { message: `expected an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `expected an integer >= ${min}` }).max(max, { message: `expected an integer <= ${max}` }));

export const envBool = () =>
  z
    .string()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' }))
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

export const envEnum = <const Values extends readonly [string, ...string[]]>(values: Values) =>
  z.enum(values, { message: `expected one of ${values.join(', ')}` });

export const envString = (description = 'a non-empty string') => z.string({ message: `expected ${description}` }).min(1);

export const envUrl = (protocols: readonly string[]) =>
  z.string({ message: `expected a URL (${protocols.join(', ')})` }).refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );
