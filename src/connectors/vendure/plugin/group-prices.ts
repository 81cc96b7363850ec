// Vendure has no price per customer group: Dovetail writes one per variant and group (master.priceLevels)
// into a custom field, and this strategy charges it to a signed-in customer of that group.
import {
  Customer,
  Injector,
  LanguageCode,
  PriceCalculationResult,
  ProductVariantPriceCalculationArgs,
  ProductVariantPriceCalculationStrategy,
  RequestContext,
  TransactionalConnection,
} from '@vendure/core';
import { groupPriceFor, type DovetailGroupPrice } from './group-price-rule';

declare module '@vendure/core/dist/entity/custom-entity-fields' {
  interface CustomProductVariantFields {
    /** the price of each customer group (by name) that has its own level, written by Dovetail */
    dovetailGroupPrices?: DovetailGroupPrice[] | null;
  }
}

export const GROUP_PRICES_FIELD = {
  name: 'dovetailGroupPrices', type: 'struct' as const, list: true, public: false,
  label: [{ languageCode: LanguageCode.en, value: 'Customer group prices (Dovetail)' }],
  description: [{ languageCode: LanguageCode.en, value: 'Price per customer group, by the group\'s name; kept in step with the inventory system\'s price lists by Dovetail' }],
  fields: [
    { name: 'group', type: 'string' as const, label: [{ languageCode: LanguageCode.en, value: 'Customer group' }] },
    { name: 'price', type: 'int' as const, label: [{ languageCode: LanguageCode.en, value: 'Price (minor units)' }] },
  ],
};

/**
 * Wraps the store's own price calculation: for a signed-in customer whose groups have a price on
 * the variant, that price goes in where the variant's price would; tax and channel rules are
 * still the wrapped strategy's. A guest, an administrator, or a customer of no such group pays the variant's price.
 */
export class CustomerGroupPriceStrategy implements ProductVariantPriceCalculationStrategy {
  private connection?: TransactionalConnection;
  // one lookup per request, however many variants it prices
  private readonly groupsByRequest = new WeakMap<RequestContext, Promise<string[]>>();

  constructor(private readonly inner: ProductVariantPriceCalculationStrategy) {}

  init(injector: Injector) {
    this.connection = injector.get(TransactionalConnection);
    return this.inner.init?.(injector);
  }

  destroy() {
    return this.inner.destroy?.();
  }

  async calculate(args: ProductVariantPriceCalculationArgs): Promise<PriceCalculationResult> {
    const prices = args.productVariant.customFields?.dovetailGroupPrices;
    if (prices?.length && args.ctx.activeUserId) {
      const price = groupPriceFor(prices, await this.customerGroups(args.ctx));
      if (price !== null) return this.inner.calculate({ ...args, inputPrice: price });
    }
    return this.inner.calculate(args);
  }

  private customerGroups(ctx: RequestContext): Promise<string[]> {
    let groups = this.groupsByRequest.get(ctx);
    if (!groups) {
      groups = this.connection!.getRepository(ctx, Customer)
        .findOne({ where: { user: { id: ctx.activeUserId } }, relations: { groups: true } })
        .then((c) => c?.groups.map((g) => g.name) ?? []);
      this.groupsByRequest.set(ctx, groups);
    }
    return groups;
  }
}
