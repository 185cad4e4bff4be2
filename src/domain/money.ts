/**
 * Returns `units × unitPrice` in minor units. Throws when the product is not
 * a safe integer, which validation of quantities and prices prevents.
 */
export function amountFor(units: number, unitPrice: number): number {
  const amount = units * unitPrice;
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`Amount ${units} × ${unitPrice} is beyond the safe integer range.`);
  }
  return amount;
}

/** Returns the price of units that were paid for and are now cancelled: upfront capture pays for every unit. */
export function refundForCancellation(capture: 'upfront' | 'on_ship', units: number, unitPrice: number): number {
  return capture === 'upfront' ? amountFor(units, unitPrice) : 0;
}
