// Money is integer minor units (cents) inside Dovetail; systems that speak decimals (Tryton)
// are converted at their edge with these helpers, never through floating point.

/** "10.5" | "10.50" | "-3.1" -> 1050 | 1050 | -310 (2-digit currencies). Rejects more than 2 decimals unless exact zeros. */
export function decimalToMinor(value: string, digits = 2): number {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, sign, whole, frac = ''] = m;
  const kept = frac.slice(0, digits).padEnd(digits, '0');
  if (/[1-9]/.test(frac.slice(digits))) throw new Error(`amount ${value} has more than ${digits} decimals`);
  const minor = Number(whole) * 10 ** digits + Number(kept || '0');
  return sign ? -minor : minor;
}

/** 1050 -> "10.50"; -5 -> "-0.05". */
export function minorToDecimal(minor: number, digits = 2): string {
  if (!Number.isInteger(minor)) throw new Error(`minor units must be an integer, got ${minor}`);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor).toString().padStart(digits + 1, '0');
  return digits ? `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}` : `${sign}${abs}`;
}
