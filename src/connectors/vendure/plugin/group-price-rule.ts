// Which customer-group price a customer pays (master.priceLevels), apart from Vendure so that it is
// tested on its own: the plugin's price strategy asks it for every variant it prices.

/** One price level of a variant: the customer group's name and its price, in the channel's minor units, as the variant's own price is entered. */
export interface DovetailGroupPrice { group: string; price: number }

/** The price a customer in `groups` pays, given a variant's group prices: the lowest of their groups'; null: none of them has one. */
export function groupPriceFor(prices: readonly DovetailGroupPrice[] | null | undefined, groups: readonly string[]): number | null {
  const mine = (prices ?? []).filter((p) => groups.includes(p.group) && Number.isInteger(p.price)).map((p) => p.price);
  return mine.length ? Math.min(...mine) : null;
}
