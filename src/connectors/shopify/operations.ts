// Every GraphQL document the Shopify connector can send, by name, in one list, so a test can
// validate each against Shopify's published Admin schema and a renamed field fails the build.
//
// Page sizes are literals, not variables, so each document has one requested cost. `cost` is
// Shopify's documented static estimate (object 1, connection 2 + first × node, mutation 10);
// the client uses it before the first answer and the live `requestedQueryCost` afterwards. The
// schema test recomputes every `cost` from the schema, so a changed document cannot keep a
// stale number.

export interface Operation {
  /** the operation name inside `document`; also the key of learned costs in the client */
  readonly name: string;
  readonly kind: 'query' | 'mutation';
  readonly document: string;
  /** requested cost by Shopify's static rules; null for a bulk operation's inner query */
  readonly cost: number | null;
  /** sent as the `query` string of bulkOperationRunQuery, never posted on its own */
  readonly bulkInner?: boolean;
}

const op = (kind: Operation['kind'], name: string, cost: number | null, body: string, bulkInner = false): Operation => ({
  name, kind, cost, bulkInner, document: `${kind} ${name}${body}`,
});

const MONEY = 'shopMoney { amount currencyCode }';
const USER_ERRORS = 'userErrors { field message }';
const CODED_USER_ERRORS = 'userErrors { code field message }';
const ADDRESS = 'firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone';

/** The namespace of every metafield Dovetail writes (group keys, dimensions without a native home). */
export const METAFIELD_NAMESPACE = 'dovetail';
/** Variant count a products page asks for; a product with more is paged by ProductVariantSkus. */
export const PRODUCT_PAGE_VARIANTS = 35;
/** Line items in one order read; longer orders are paged by OrderLineItemsPage. */
export const ORDER_LINES_PAGE = 50;

const LINE_ITEM = `id sku name quantity currentQuantity
  originalUnitPriceSet { ${MONEY} }
  originalTotalSet { ${MONEY} }
  discountAllocations { allocatedAmountSet { ${MONEY} } }
  taxLines { ratePercentage priceSet { ${MONEY} } }`;

export const ShopInfo = op('query', 'ShopInfo', 1, ` {
  shop { name myshopifyDomain currencyCode }
}`);

export const Locations = op('query', 'Locations', 52, ` {
  locations(first: 50) { nodes { id name isActive } }
}`);

export const VariantsBySku = op('query', 'VariantsBySku', 602, `($query: String!) {
  productVariants(first: 50, query: $query) {
    nodes {
      id sku title price updatedAt
      selectedOptions { name value }
      inventoryItem { id measurement { weight { unit value } } }
      metafields(first: 3, namespace: "${METAFIELD_NAMESPACE}") { nodes { key value } }
      product { id title descriptionHtml status updatedAt groupKey: metafield(namespace: "${METAFIELD_NAMESPACE}", key: "group_key") { value } }
    }
  }
}`);

export const ProductByGroupKey = op('query', 'ProductByGroupKey', 2, `($value: String!) {
  productByIdentifier(identifier: { customId: { namespace: "${METAFIELD_NAMESPACE}", key: "group_key", value: $value } }) {
    id title
    options { id name }
  }
}`);

export const InventoryAtLocation = op('query', 'InventoryAtLocation', 752, `($query: String!, $locationId: ID!) {
  inventoryItems(first: 250, query: $query) {
    nodes {
      id sku
      inventoryLevel(locationId: $locationId) { id quantities(names: ["available"]) { name quantity } }
    }
  }
}`);

const ORDER_BODY = `id legacyResourceId name tags createdAt updatedAt cancelledAt currencyCode taxesIncluded
  displayFinancialStatus sourceName
  email phone
  customer { firstName lastName defaultEmailAddress { emailAddress } }
  shippingAddress { ${ADDRESS} }
  billingAddress { ${ADDRESS} }
  totalPriceSet { ${MONEY} }
  totalTaxSet { ${MONEY} }
  discountCodes
  lineItems(first: ${ORDER_LINES_PAGE}) { nodes { ${LINE_ITEM} } pageInfo { hasNextPage endCursor } }
  shippingLines(first: 5) { nodes { title discountedPriceSet { ${MONEY} } taxLines { ratePercentage priceSet { ${MONEY} } } } }`;

export const OrderById = op('query', 'OrderById', 593, `($id: ID!) {
  order(id: $id) { ${ORDER_BODY} }
}`);

export const OrderLineItemsPage = op('query', 'OrderLineItemsPage', 553, `($id: ID!, $after: String!) {
  order(id: $id) {
    lineItems(first: ${ORDER_LINES_PAGE}, after: $after) { nodes { ${LINE_ITEM} } pageInfo { hasNextPage endCursor } }
  }
}`);

export const OrderIdByName = op('query', 'OrderIdByName', 3, `($query: String!) {
  orders(first: 1, query: $query) { nodes { id legacyResourceId } }
}`);

/** Order names looked up in one search (`name:"#1001" OR name:"#1002"`). */
export const ORDER_NAMES_PAGE = 50;

export const OrderIdsByName = op('query', 'OrderIdsByName', 52, `($query: String!) {
  orders(first: ${ORDER_NAMES_PAGE}, query: $query) { nodes { id name } }
}`);

/** The order metafield where Dovetail notes what it is about to do and what it did (see ledger.ts). */
export const LEDGER_KEY = 'ledger';
const LEDGER = `ledger: metafield(namespace: "${METAFIELD_NAMESPACE}", key: "${LEDGER_KEY}") { value compareDigest }`;

export const OrderPayments = op('query', 'OrderPayments', 53, `($id: ID!) {
  order(id: $id) {
    id legacyResourceId currencyCode
    totalCapturableSet { ${MONEY} }
    currentTotalPriceSet { ${MONEY} }
    transactions(first: 100) {
      id kind status gateway createdAt
      amountSet { ${MONEY} }
      parentTransaction { id }
    }
    refunds(first: 50) { id note transactions(first: 10) { nodes { id kind status amountSet { ${MONEY} } parentTransaction { id } } } }
    ${LEDGER}
  }
}`);

export const OrderFulfillmentOrders = op('query', 'OrderFulfillmentOrders', 521, `($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        lineItems(first: 50) { nodes { id sku remainingQuantity lineItem { id } } }
      }
    }
    fulfillments(first: 50) { id status trackingInfo { number company url } }
    ${LEDGER}
  }
}`);

/**
 * An order's lines as both systems compare them: quantities now, units fulfilled (by fulfilment
 * line items, which returns point at), units on returns, and units refunded with their line.
 * `more` asks whether a page stopped short.
 */
const orderLinesBody = (lines: number, returns: number, more = '') => `id legacyResourceId cancelledAt displayFinancialStatus taxesIncluded
    currentTotalPriceSet { ${MONEY} }
    lineItems(first: ${lines}) { nodes { ${LINE_ITEM} } ${more} }
    fulfillments(first: 20) { id status fulfillmentLineItems(first: 10) { nodes { id quantity lineItem { id } } } }
    returns(first: ${returns}) { nodes { id status returnLineItems(first: 10) { nodes { id quantity ... on ReturnLineItem { fulfillmentLineItem { id lineItem { id } } } } } } ${more} }
    refunds(first: 10) { refundLineItems(first: 10) { nodes { quantity lineItem { id } } } }`;

/** One order's lines, in full pages: what an order edit or a return is worked out from. */
export const OrderLinesState = op('query', 'OrderLinesState', 768, `($id: ID!) {
  order(id: $id) {
    ${orderLinesBody(ORDER_LINES_PAGE, 5)}
  }
}`);

/**
 * Orders one OrderLinesStates call reads. Shopify does not document how it counts nodes(ids:),
 * so a full call is kept within the 1,000-point single-query limit even if each id counts like
 * a connection's node (schema test).
 */
export const ORDER_LINES_BATCH = 4;

/**
 * Many orders' lines by id, in smaller pages than OrderLinesState so several fit one call; an
 * order a page did not cover is read again on its own. nodes(ids:), not an `id:` search: the
 * search index can lag behind an order just placed, which would then read as unknown.
 */
export const OrderLinesStates = op('query', 'OrderLinesStates', 229, `($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Order {
    ${orderLinesBody(10, 2, 'pageInfo { hasNextPage }')}
    }
  }
}`);

const CUSTOMER_BODY = `id firstName lastName updatedAt
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
  addressesV2(first: 10) { nodes { ${ADDRESS} } }`;

export const CustomerByEmail = op('query', 'CustomerByEmail', 15, `($email: String!) {
  customerByIdentifier(identifier: { emailAddress: $email }) { ${CUSTOMER_BODY} }
}`);

/**
 * The change listings: `$query` is an `updated_at` / `id` keyset and `$sortKey` UPDATED_AT, or ID
 * for the rows sharing one stamp (reads.ts); they are never paged by Shopify's own cursor.
 */
export const ProductsUpdatedSince = op('query', 'ProductsUpdatedSince', 952, `($query: String!, $sortKey: ProductSortKeys!) {
  products(first: 25, query: $query, sortKey: $sortKey) {
    nodes { id updatedAt variants(first: ${PRODUCT_PAGE_VARIANTS}) { nodes { sku } pageInfo { hasNextPage } } }
    pageInfo { hasNextPage }
  }
}`);

export const ProductVariantSkus = op('query', 'ProductVariantSkus', 253, `($id: ID!, $after: String) {
  product(id: $id) { variants(first: 250, after: $after) { nodes { sku } pageInfo { hasNextPage endCursor } } }
}`);

export const OrdersUpdatedSince = op('query', 'OrdersUpdatedSince', 252, `($query: String!, $sortKey: OrderSortKeys!) {
  orders(first: 250, query: $query, sortKey: $sortKey) {
    nodes { legacyResourceId updatedAt }
    pageInfo { hasNextPage }
  }
}`);

export const CustomersUpdatedSince = op('query', 'CustomersUpdatedSince', 502, `($query: String!, $sortKey: CustomerSortKeys!) {
  customers(first: 250, query: $query, sortKey: $sortKey) {
    nodes { id updatedAt defaultEmailAddress { emailAddress } }
    pageInfo { hasNextPage }
  }
}`);

export const SkuPage = op('query', 'SkuPage', 252, `($after: String) {
  productVariants(first: 250, after: $after, sortKey: ID) { nodes { sku } pageInfo { hasNextPage endCursor } }
}`);

export const OrderIdPage = op('query', 'OrderIdPage', 252, `($after: String) {
  orders(first: 250, after: $after, sortKey: CREATED_AT) { nodes { legacyResourceId } pageInfo { hasNextPage endCursor } }
}`);

export const CustomerEmailPage = op('query', 'CustomerEmailPage', 502, `($after: String) {
  customers(first: 250, after: $after, sortKey: ID) { nodes { defaultEmailAddress { emailAddress } } pageInfo { hasNextPage endCursor } }
}`);

export const OfflineDraftByTag = op('query', 'OfflineDraftByTag', 6, `($query: String!) {
  draftOrders(first: 1, query: $query, sortKey: ID) {
    nodes { id legacyResourceId status totalPriceSet { ${MONEY} } order { legacyResourceId cancelledAt } }
  }
}`);

export const DraftOrderById = op('query', 'DraftOrderById', 59, `($id: ID!) {
  draftOrder(id: $id) {
    id legacyResourceId status tags email
    customer { id }
    shippingAddress { address1 }
    billingAddress { address1 }
    lineItems(first: 50) { nodes { id sku quantity } }
    totalPriceSet { ${MONEY} }
    order { legacyResourceId cancelledAt }
  }
}`);

export const CustomerAccount = op('query', 'CustomerAccount', 13, `($email: String!) {
  customerByIdentifier(identifier: { emailAddress: $email }) {
    id state
    addressesV2(first: 10) { nodes { address1 zip countryCodeV2 } }
  }
}`);

export const CustomerAddresses = op('query', 'CustomerAddresses', 13, `($id: ID!) {
  customer(id: $id) { id addressesV2(first: 10) { nodes { address1 zip countryCodeV2 } } }
}`);

export const WebhookSubscriptions = op('query', 'WebhookSubscriptions', 52, ` {
  webhookSubscriptions(first: 50) { nodes { id topic uri format includeFields filter } }
}`);

export const BulkOperationStatus = op('query', 'BulkOperationStatus', 1, `($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount url partialDataUrl }
}`);

/** Inner query of the first-load stock snapshot: every variant with its item and levels. */
export const BulkVariantsWithStock = op('query', 'BulkVariantsWithStock', null, ` {
  productVariants {
    edges { node {
      id sku
      inventoryItem {
        id
        inventoryLevels { edges { node { location { id } quantities(names: ["available"]) { name quantity } } } }
      }
    } }
  }
}`, true);

// ---- mutations ----

export const ProductCreate = op('mutation', 'ProductCreate', 10, `($input: ProductSetInput!) {
  productSet(synchronous: true, input: $input) {
    product { id variants(first: 250) { nodes { id sku } } }
    ${CODED_USER_ERRORS}
  }
}`);

export const ProductUpdate = op('mutation', 'ProductUpdate', 10, `($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id } ${USER_ERRORS} }
}`);

export const VariantsBulkUpdate = op('mutation', 'VariantsBulkUpdate', 10, `($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: false) {
    productVariants { id }
    ${CODED_USER_ERRORS}
  }
}`);

export const VariantsBulkCreate = op('mutation', 'VariantsBulkCreate', 10, `($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $productId, variants: $variants) {
    productVariants { id sku }
    ${CODED_USER_ERRORS}
  }
}`);

export const GroupKeyDefinitionCreate = op('mutation', 'GroupKeyDefinitionCreate', 10, ` {
  metafieldDefinitionCreate(definition: {
    name: "Dovetail group key", namespace: "${METAFIELD_NAMESPACE}", key: "group_key",
    type: "single_line_text_field", ownerType: PRODUCT,
    capabilities: { uniqueValues: { enabled: true } }
  }) {
    createdDefinition { id }
    ${CODED_USER_ERRORS}
  }
}`);

export const InventorySetQuantities = op('mutation', 'InventorySetQuantities', 10, `($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    ${CODED_USER_ERRORS}
  }
}`);

export const InventoryAdjustQuantities = op('mutation', 'InventoryAdjustQuantities', 10, `($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    ${CODED_USER_ERRORS}
  }
}`);

export const InventoryActivate = op('mutation', 'InventoryActivate', 10, `($inventoryItemId: ID!, $locationId: ID!) {
  inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId) {
    inventoryLevel { id }
    ${USER_ERRORS}
  }
}`);

export const FulfillmentCreate = op('mutation', 'FulfillmentCreate', 10, `($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    ${USER_ERRORS}
  }
}`);

export const OrderCapture = op('mutation', 'OrderCapture', 10, `($input: OrderCaptureInput!) {
  orderCapture(input: $input) {
    transaction { id kind status amountSet { ${MONEY} } }
    ${USER_ERRORS}
  }
}`);

export const RefundCreate = op('mutation', 'RefundCreate', 10, `($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id note totalRefundedSet { ${MONEY} } }
    ${USER_ERRORS}
  }
}`);

export const DraftOrderCreate = op('mutation', 'DraftOrderCreate', 10, `($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) { draftOrder { id legacyResourceId name status } ${USER_ERRORS} }
}`);

export const DraftOrderUpdate = op('mutation', 'DraftOrderUpdate', 10, `($id: ID!, $input: DraftOrderInput!) {
  draftOrderUpdate(id: $id, input: $input) { draftOrder { id } ${USER_ERRORS} }
}`);

/** Completed as paid (paymentPending false): Shopify records the money as received outside its checkout. */
export const DraftOrderComplete = op('mutation', 'DraftOrderComplete', 10, `($id: ID!, $sourceName: String) {
  draftOrderComplete(id: $id, paymentPending: false, sourceName: $sourceName) {
    draftOrder { id status order { legacyResourceId } }
    ${USER_ERRORS}
  }
}`);

/** Compare-and-set on Dovetail's ledger metafield: a stale digest is refused, so two writers cannot lose each other's entries. */
export const LedgerSet = op('mutation', 'LedgerSet', 10, `($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key compareDigest }
    ${CODED_USER_ERRORS}
  }
}`);

export const TransactionVoid = op('mutation', 'TransactionVoid', 10, `($parentTransactionId: ID!) {
  transactionVoid(parentTransactionId: $parentTransactionId) {
    transaction { id status }
    ${CODED_USER_ERRORS}
  }
}`);

export const OrderEditBegin = op('mutation', 'OrderEditBegin', 10, `($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id lineItems(first: ${ORDER_LINES_PAGE}) { nodes { id sku quantity editableQuantity } } }
    ${USER_ERRORS}
  }
}`);

export const OrderEditSetQuantity = op('mutation', 'OrderEditSetQuantity', 10, `($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: true) {
    calculatedLineItem { id quantity }
    ${USER_ERRORS}
  }
}`);

export const OrderEditAddVariant = op('mutation', 'OrderEditAddVariant', 10, `($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, allowDuplicates: false) {
    calculatedLineItem { id quantity }
    ${USER_ERRORS}
  }
}`);

export const OrderEditCommit = op('mutation', 'OrderEditCommit', 10, `($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order { id currentTotalPriceSet { ${MONEY} } displayFinancialStatus }
    ${USER_ERRORS}
  }
}`);

export const OrderCancel = op('mutation', 'OrderCancel', 10, `($orderId: ID!, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: OTHER, restock: true, refund: false, notifyCustomer: false, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}`);

export const ReturnCreate = op('mutation', 'ReturnCreate', 10, `($returnInput: ReturnInput!) {
  returnCreate(returnInput: $returnInput) {
    return { id status returnLineItems(first: 50) { nodes { id quantity } } }
    ${CODED_USER_ERRORS}
  }
}`);

export const ReturnProcess = op('mutation', 'ReturnProcess', 10, `($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return { id status }
    ${CODED_USER_ERRORS}
  }
}`);

export const CustomerCreate = op('mutation', 'CustomerCreate', 10, `($input: CustomerInput!) {
  customerCreate(input: $input) { customer { id state } ${USER_ERRORS} }
}`);

export const CustomerInvite = op('mutation', 'CustomerInvite', 10, `($customerId: ID!) {
  customerSendAccountInviteEmail(customerId: $customerId) {
    customer { id state }
    ${CODED_USER_ERRORS}
  }
}`);

export const CustomerAddressCreate = op('mutation', 'CustomerAddressCreate', 10, `($customerId: ID!, $address: MailingAddressInput!, $setAsDefault: Boolean) {
  customerAddressCreate(customerId: $customerId, address: $address, setAsDefault: $setAsDefault) {
    address { id }
    ${USER_ERRORS}
  }
}`);

export const CustomerSet = op('mutation', 'CustomerSet', 10, `($email: String!, $input: CustomerSetInput!) {
  customerSet(identifier: { email: $email }, input: $input) {
    customer { id }
    ${CODED_USER_ERRORS}
  }
}`);

export const WebhookSubscriptionCreate = op('mutation', 'WebhookSubscriptionCreate', 10, `($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    ${USER_ERRORS}
  }
}`);

export const WebhookSubscriptionUpdate = op('mutation', 'WebhookSubscriptionUpdate', 10, `($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    ${USER_ERRORS}
  }
}`);

export const BulkRunQuery = op('mutation', 'BulkRunQuery', 10, `($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    ${CODED_USER_ERRORS}
  }
}`);

/** Everything the connector can send; the schema test walks this list. */
export const OPERATIONS: readonly Operation[] = [
  ShopInfo, Locations, VariantsBySku, ProductByGroupKey, InventoryAtLocation, OrderById, OrderLineItemsPage,
  OrderIdByName, OrderIdsByName, OrderPayments, OrderFulfillmentOrders, OrderLinesState, OrderLinesStates, CustomerByEmail, ProductsUpdatedSince, ProductVariantSkus,
  OrdersUpdatedSince, CustomersUpdatedSince, SkuPage, OrderIdPage, CustomerEmailPage, OfflineDraftByTag, DraftOrderById, CustomerAccount, CustomerAddresses, WebhookSubscriptions,
  BulkOperationStatus, BulkVariantsWithStock,
  ProductCreate, ProductUpdate, VariantsBulkUpdate, VariantsBulkCreate, GroupKeyDefinitionCreate,
  InventorySetQuantities, InventoryAdjustQuantities, InventoryActivate, FulfillmentCreate, OrderCapture,
  RefundCreate, DraftOrderCreate, DraftOrderUpdate, DraftOrderComplete, LedgerSet, TransactionVoid,
  OrderEditBegin, OrderEditSetQuantity, OrderEditAddVariant, OrderEditCommit, OrderCancel, ReturnCreate, ReturnProcess,
  CustomerCreate, CustomerInvite, CustomerAddressCreate, CustomerSet, WebhookSubscriptionCreate, WebhookSubscriptionUpdate, BulkRunQuery,
];
