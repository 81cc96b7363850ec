// The reference connector pair: an online store and an inventory system kept in memory, each
// carrying every capability group of the contract. Read these first to learn what a connector promises.
export { MemoryStore, memoryStore, type MemoryStoreOptions, type StoreOrder } from './memory-store.js';
export { MemoryInventory, memoryInventory, type MemoryInventoryOptions, type Sale } from './memory-inventory.js';
