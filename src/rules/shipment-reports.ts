// What the store is told about an order's shipments, and who tells the customer
// (rules.partialShipmentsToStore, rules.shipmentEmailsFrom). Pure: the shipments handler writes what this plans.
import type { Config } from '../config/schema.js';
import { combineShipments, type OrderShipments, type StoreShipment } from '../model/shipment.js';

type Rules = Config['rules'];

/**
 * The fulfilments the store should have for this order, oldest first (rules.partialShipmentsToStore):
 * true reports each shipment as it leaves; false reports nothing until everything has left, then one
 * fulfilment with every line. `whole` marks a fulfilment that covers the entire order.
 */
export function partialShipmentsToStore(setting: boolean, system: string, found: OrderShipments): { shipment: StoreShipment; whole: boolean }[] {
  if (setting) {
    return found.shipments.map((s, i) => ({
      whole: found.complete && found.shipments.length === 1 && i === 0,
      shipment: { ref: `${system}-shipment-${s.id}`, shippedOn: s.shippedOn, carrier: s.carrier, trackingCode: s.trackingCode, lines: s.lines },
    }));
  }
  return found.complete && found.shipments.length ? [{ whole: true, shipment: combineShipments(`${system}-sale-${found.saleId}-complete`, found.shipments) }] : [];
}

/**
 * Who tells the customer that goods shipped (rules.shipmentEmailsFrom): the store, as it records
 * the fulfilment; Dovetail, by its own email; or neither (the inventory system mails, or nobody).
 */
export function shipmentEmailsFrom(setting: Rules['shipmentEmailsFrom']): { storeNotifies: boolean; dovetailEmails: boolean } {
  return { storeNotifies: setting === 'store', dovetailEmails: setting === 'dovetail' };
}
