// Sale lines whose amounts add up to exactly a total the store charged, so the inventory
// system's invoice matches the store's to the cent even when the total does not divide evenly.
//
// Unit prices carry 4 decimals (Tryton's default price precision). When total×100 divides by
// the quantity, one line at that 4-decimal price is exact; otherwise the quantity is split into
// two lines a cent apart: (quantity − r) at the floor price and r at floor + 0.01, where r is the
// remainder in cents. Integer arithmetic only (BigInt), so no amount is ever a float.

export interface ExactLine {
  quantity: number;
  /** decimal string with 4 decimals, e.g. "3.3300"; negative for credits, e.g. "-3.3400" */
  unitPrice: string;
}

export function splitForExactAmount(totalMinor: number, quantity: number): ExactLine[] {
  if (!Number.isSafeInteger(totalMinor)) throw new RangeError(`splitForExactAmount: totalMinor must be an integer, got ${totalMinor}`);
  if (!Number.isSafeInteger(quantity) || quantity < 1) throw new RangeError(`splitForExactAmount: quantity must be a whole number of at least 1, got ${quantity}`);
  const total = BigInt(totalMinor);
  const q = BigInt(quantity);
  const total4 = total * 100n; // in 1/10000 of the major unit
  if (total4 % q === 0n) return [{ quantity, unitPrice: fourDecimals(total4 / q) }];
  const floor = floorDiv(total, q); // cents per unit, rounded towards −∞
  const r = total - floor * q; // 0 < r < q
  return [
    { quantity: Number(q - r), unitPrice: fourDecimals(floor * 100n) },
    { quantity: Number(r), unitPrice: fourDecimals((floor + 1n) * 100n) },
  ];
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b; // truncates towards zero
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** 33300n -> "3.3300"; -500n -> "-0.0500" */
function fourDecimals(tenThousandths: bigint): string {
  const sign = tenThousandths < 0n ? '-' : '';
  const digits = (tenThousandths < 0n ? -tenThousandths : tenThousandths).toString().padStart(5, '0');
  return `${sign}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}
