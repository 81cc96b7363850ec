// Dovetail's own shipment email (rules.shipmentEmailsFrom: dovetail): the message, built from the
// shipment alone so a resend is byte-for-byte the same message, and its delivery over SMTP.
import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import { DovetailError } from '../errors.js';
import type { StoreShipment } from '../model/shipment.js';

export interface ShipmentEmail { messageId: string; to: string; subject: string; text: string }

/**
 * The Message-ID is derived from the order and the shipment, never random: if Dovetail sends,
 * crashes before recording that it did, and sends again, the two copies carry the same id, and
 * mail servers and clients that de-duplicate on it show the customer one.
 */
export function shipmentMessageId(orderCode: string, ref: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<shipment.${safe(orderCode)}.${safe(ref)}@dovetail.invalid>`;
}

export function shipmentEmail(input: {
  orderCode: string; to: string; customerName: string; shipment: StoreShipment; itemNames: Map<string, string>; whole: boolean;
}): ShipmentEmail {
  const { orderCode, shipment: s } = input;
  const items = s.lines.map((l) => `  ${l.quantity} x ${input.itemNames.get(l.sku) ?? l.sku} (${l.sku})`);
  const text = [
    `Hello${input.customerName ? ` ${input.customerName}` : ''},`,
    '',
    input.whole ? `Your order ${orderCode} has shipped on ${s.shippedOn}:` : `Part of your order ${orderCode} has shipped on ${s.shippedOn}:`,
    '',
    ...items,
    '',
    s.carrier ? `Carrier: ${s.carrier}` : null,
    s.trackingCode ? `Tracking code: ${s.trackingCode}` : 'No tracking code was given for this parcel.',
    '',
    'Thank you for your order.',
  ].filter((l): l is string => l !== null).join('\n');
  return { messageId: shipmentMessageId(orderCode, s.ref), to: input.to, subject: `${input.whole ? 'Your order' : 'Part of your order'} ${orderCode} has shipped`, text };
}

type Transport = ReturnType<typeof nodemailer.createTransport>;
const transports = new WeakMap<Config['email'], Transport>();

function transportFor(settings: Config['email']): Transport {
  let t = transports.get(settings);
  if (!t) {
    t = nodemailer.createTransport({
      host: settings.host, port: settings.port, secure: settings.secure,
      auth: settings.username ? { user: settings.username, pass: settings.password ?? '' } : undefined,
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000,
    });
    transports.set(settings, t);
  }
  return t;
}

/** Sends one message; a refused recipient or message (5xx) is permanent, anything else is worth a retry. */
export async function sendEmail(settings: Config['email'], mail: ShipmentEmail): Promise<void> {
  try {
    await transportFor(settings).sendMail({ from: settings.from, to: mail.to, subject: mail.subject, text: mail.text, messageId: mail.messageId });
  } catch (err) {
    const e = err as { responseCode?: number; message?: string };
    const where = `SMTP ${settings.host}:${settings.port}`;
    if (typeof e.responseCode === 'number' && e.responseCode >= 500) {
      throw new DovetailError('permanent', `${where} refused the shipment email to ${mail.to}: ${e.responseCode} ${e.message ?? ''}`.trim(), { cause: err });
    }
    throw new DovetailError('transient', `${where} could not take the shipment email to ${mail.to}: ${e.message ?? String(err)}`, { cause: err });
  }
}
