// Store fixtures for the golden Vendure database (idempotent), through the Admin API of a running
// server: US, a zone, the channel's tax and shipping zone, 10% standard tax, shipping "standard"
// at 5.00 ex tax, payment methods dummy-authorize (authorise only) and dummy-settle.
import { adminGql } from './gql.js';

const url = process.env.VENDURE_URL ?? `http://127.0.0.1:${process.env.VENDURE_PORT ?? 3000}`;
const admin = await adminGql(url);
type Items<T> = { items: T[] };
const idOf = (r: Record<string, { id: string }>) => Object.values(r)[0].id;

const { countries } = await admin<{ countries: Items<{ id: string }> }>(`{ countries(options:{ filter:{ code:{ eq:"US" } } }) { items { id } } }`);
const countryId = countries.items[0]?.id ?? idOf(await admin(`mutation { createCountry(input:{ code:"US", enabled:true,
  translations:[{ languageCode:en, name:"United States" }] }) { id } }`));

const { zones } = await admin<{ zones: Items<{ id: string; name: string }> }>(`{ zones { items { id name } } }`);
const zoneId = zones.items.find((z) => z.name === 'Domestic')?.id
  ?? idOf(await admin(`mutation($m:[ID!]) { createZone(input:{ name:"Domestic", memberIds:$m }) { id } }`, { m: [countryId] }));

const { activeChannel } = await admin<{ activeChannel: { id: string } }>(`{ activeChannel { id } }`);
await admin(`mutation($i: UpdateChannelInput!) { updateChannel(input:$i) { __typename } }`,
  { i: { id: activeChannel.id, defaultTaxZoneId: zoneId, defaultShippingZoneId: zoneId } });

const { taxCategories } = await admin<{ taxCategories: Items<{ id: string; name: string }> }>(`{ taxCategories { items { id name } } }`);
const taxCategoryId = taxCategories.items.find((c) => c.name === 'Standard')?.id
  ?? idOf(await admin(`mutation { createTaxCategory(input:{ name:"Standard", isDefault:true }) { id } }`));
const { taxRates } = await admin<{ taxRates: Items<{ id: string; name: string }> }>(`{ taxRates { items { id name } } }`);
if (!taxRates.items.some((r) => r.name === 'Standard US')) {
  await admin(`mutation($c:ID!, $z:ID!) { createTaxRate(input:{ name:"Standard US", enabled:true, value:10, categoryId:$c, zoneId:$z }) { id } }`,
    { c: taxCategoryId, z: zoneId });
}

const { shippingMethods } = await admin<{ shippingMethods: Items<{ code: string }> }>(`{ shippingMethods { items { code } } }`);
if (!shippingMethods.items.some((m) => m.code === 'standard')) {
  await admin(`mutation { createShippingMethod(input:{ code:"standard", fulfillmentHandler:"manual-fulfillment",
    checker:{ code:"default-shipping-eligibility-checker", arguments:[{ name:"orderMinimum", value:"0" }] },
    calculator:{ code:"default-shipping-calculator", arguments:[{ name:"rate", value:"500" }, { name:"includesTax", value:"exclude" }, { name:"taxRate", value:"10" }] },
    translations:[{ languageCode:en, name:"Standard shipping", description:"" }] }) { id } }`);
}

const { paymentMethods } = await admin<{ paymentMethods: Items<{ code: string }> }>(`{ paymentMethods { items { code } } }`);
for (const [code, settle, name] of [['dummy-authorize', 'false', 'Card (authorise, settle later)'], ['dummy-settle', 'true', 'Card (settle at once)']]) {
  if (paymentMethods.items.some((m) => m.code === code)) continue;
  await admin(`mutation($code:String!, $settle:String!, $name:String!) { createPaymentMethod(input:{ code:$code, enabled:true,
    handler:{ code:"dummy-payment-handler", arguments:[{ name:"automaticSettle", value:$settle }] },
    translations:[{ languageCode:en, name:$name }] }) { id } }`, { code, settle, name });
}
console.log(`vendure setup ok: country ${countryId}, zone ${zoneId}, tax category ${taxCategoryId}`);
