/**
 * Exact decimals as the back office sends them: a JSON string ("12.5000") or a JSON number written without an
 * exponent. Never through floating point on the way to the database: the text is checked and passed on as is.
 */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

export type DecimalCheck = { ok: true; text: string; negative: boolean; zero: boolean } | { ok: false; reason: string };

export function checkDecimal(value: unknown, precision: number, scale: number): DecimalCheck {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !DECIMAL.test(text)) return { ok: false, reason: 'must be a decimal number such as "12.5000"' };
  const [whole, fraction = ''] = text.replace(/^-/, '').split('.');
  const digits = whole!.replace(/^0+(?=\d)/, '');
  if (fraction.length > scale) return { ok: false, reason: `has more than ${scale} decimal places` };
  if (digits.length > precision - scale) return { ok: false, reason: `has more than ${precision - scale} digits before the decimal point` };
  const zero = /^0*$/.test(digits + fraction);
  return { ok: true, text, negative: text.startsWith('-') && !zero, zero };
}
