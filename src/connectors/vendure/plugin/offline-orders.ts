// What Vendure needs to show orders taken outside it (phone, email, sales staff) in the customer's
// order history (rules.offlineOrdersToStore): two order fields and a shipping option for them only.
import { LanguageCode, PluginCommonModule, ShippingEligibilityChecker, VendurePlugin } from '@vendure/core';

declare module '@vendure/core/dist/entity/custom-entity-fields' {
  interface CustomOrderFields {
    /** `<system>:<id>` of the inventory sale this order mirrors; Dovetail finds the order by it before making one */
    dovetailOfflineRef?: string | null;
    /** the inventory system's number of the sale, shown to the customer ("placed offline as S0042") */
    placedOfflineAs?: string | null;
  }
}

/**
 * Eligible only for orders Dovetail mirrors from the inventory system: the goods ship as that
 * system arranged, so the store adds no shipping charge, and shoppers never see this option
 * (the ref field is not public, so the Shop API cannot set it).
 */
export const offlineOrderShippingChecker = new ShippingEligibilityChecker({
  code: 'dovetail-offline-order',
  description: [{ languageCode: LanguageCode.en, value: 'Only orders placed offline (mirrored by Dovetail)' }],
  args: {},
  check: (_ctx, order) => !!(order.customFields as { dovetailOfflineRef?: string | null }).dovetailOfflineRef,
});

@VendurePlugin({
  imports: [PluginCommonModule],
  compatibility: '^3.0.0',
  configuration: (config) => {
    config.customFields.Order = [...(config.customFields.Order ?? []).filter((f) => !['dovetailOfflineRef', 'placedOfflineAs'].includes(f.name)),
      { name: 'dovetailOfflineRef', type: 'string', nullable: true, public: false, readonly: false,
        label: [{ languageCode: LanguageCode.en, value: 'Inventory sale (Dovetail)' }] },
      { name: 'placedOfflineAs', type: 'string', nullable: true, public: true,
        label: [{ languageCode: LanguageCode.en, value: 'Placed offline as' }] }];
    config.shippingOptions.shippingEligibilityCheckers = [
      ...config.shippingOptions.shippingEligibilityCheckers.filter((c) => c.code !== offlineOrderShippingChecker.code), offlineOrderShippingChecker];
    return config;
  },
})
export class DovetailOfflineOrdersPlugin {}
