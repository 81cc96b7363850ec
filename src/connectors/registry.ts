// Every system Dovetail can join, and the only list of them in the code: settings, `open`,
// `check`, `init` and the dashboard all read it. Adding a system is one folder and one line here.
import { magento } from './magento/index.js';
import { odoo } from './odoo/index.js';
import { shopify } from './shopify/index.js';
import { tryton } from './tryton/index.js';
import { hasCapability, type InventoryCapability, type InventorySystem, type StoreCapability, type StoreSystem, type SystemDescriptor } from './types.js';
import { vendure } from './vendure/index.js';

/** The inventory systems; the first is the default of `systems.inventory.type`. */
export const INVENTORY_SYSTEMS = [tryton, odoo] as const satisfies readonly InventorySystem[];
/** The stores; the first is the default of `systems.store.type`. */
export const STORE_SYSTEMS = [vendure, shopify, magento] as const satisfies readonly StoreSystem[];

export const SYSTEMS: readonly SystemDescriptor[] = [...INVENTORY_SYSTEMS, ...STORE_SYSTEMS];

export function inventorySystemOf(type: string): InventorySystem {
  const found = INVENTORY_SYSTEMS.find((d) => d.system === type);
  if (!found) throw new Error(`no inventory system ${type} in the registry`); // the settings schema lets no other type through
  return found;
}

export function storeSystemOf(type: string): StoreSystem {
  const found = STORE_SYSTEMS.find((d) => d.system === type);
  if (!found) throw new Error(`no store ${type} in the registry`);
  return found;
}

/** How people call a system ('Tryton'); a name the registry does not know is returned as given. */
export const displayNameOf = (system: string): string => SYSTEMS.find((d) => d.system === system)?.displayName ?? system;

/** Whether a system carries `group`, by its descriptor (a side's core groups always count). */
export function carries(descriptor: SystemDescriptor, group: StoreCapability | InventoryCapability): boolean {
  return hasCapability(descriptor, group);
}
