// Partial capture for Dovetail (rules.capture: atShipment, rules.settleFrom: inventory): Vendure's
// API settles only a whole payment, so this splits the authorised payment and settles the part.
// Exactly once per idempotency key: the capture row, the split and the settlement commit together.
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import gql from 'graphql-tag';
import { Column, Entity, Index, MoreThanOrEqual } from 'typeorm';
import {
  Allow,
  Ctx,
  DeepPartial,
  ID,
  Payment,
  PaymentService,
  Permission,
  Refund,
  RequestContext,
  Transaction,
  TransactionalConnection,
  UserInputError,
  VendureEntity,
} from '@vendure/core';

/** One capture made for Dovetail, found again by its key when the same capture is asked for twice. */
@Entity()
export class DovetailCapture extends VendureEntity {
  constructor(input?: DeepPartial<DovetailCapture>) {
    super(input);
  }

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 200 }) key: string;

  @Column({ type: 'varchar', length: 40 }) orderId: string;

  /** the authorised payment the amount was taken from */
  @Column({ type: 'varchar', length: 40 }) sourcePaymentId: string;

  /** the payment that was settled (the source itself when the whole remainder was captured) */
  @Column({ type: 'varchar', length: 40 }) paymentId: string;

  @Column({ type: 'int' }) amount: number;
}

export const dovetailPaymentsSchema = gql`
  type DovetailCaptureResult {
    key: String!
    "the Settled payment holding this capture"
    paymentId: ID!
    sourcePaymentId: ID!
    amount: Int!
    "false when the key had been captured before and nothing new was captured"
    created: Boolean!
    "what is still authorised (uncaptured) on the source payment"
    remainingAuthorized: Int!
  }
  type DovetailMoneyChange {
    "payment or refund"
    kind: String!
    id: ID!
    orderCode: String!
    state: String!
    "payment amount, or refund total"
    amount: Int!
    method: String!
    updatedAt: DateTime!
    "the payment a refund belongs to"
    paymentId: ID
    "Dovetail's idempotency key, when Dovetail made this capture"
    captureKey: String
    "a refund's reason (Dovetail's refunds start with dovetail:)"
    reason: String
  }
  extend type Mutation {
    "Settles amount (minor units) of the Authorized payment paymentId, once per key; the rest stays Authorized."
    dovetailCapturePayment(paymentId: ID!, amount: Int!, key: String!): DovetailCaptureResult!
  }
  extend type Query {
    "Payments and refunds changed at or after updatedAfter, oldest first."
    dovetailMoneyChanges(updatedAfter: DateTime!, skip: Int, take: Int): [DovetailMoneyChange!]!
  }
`;

interface CaptureArgs { paymentId: ID; amount: number; key: string }

@Resolver()
export class DovetailPaymentsResolver {
  constructor(private connection: TransactionalConnection, private paymentService: PaymentService) {}

  @Transaction()
  @Mutation()
  @Allow(Permission.UpdateOrder)
  async dovetailCapturePayment(@Ctx() ctx: RequestContext, @Args() args: CaptureArgs) {
    const { paymentId, amount, key } = args;
    if (!key.trim()) throw new UserInputError('dovetailCapturePayment: key must not be empty');
    if (!Number.isInteger(amount) || amount <= 0) throw new UserInputError(`dovetailCapturePayment: amount must be a positive integer of minor units, got ${amount}`);
    const captures = this.connection.getRepository(ctx, DovetailCapture);
    const payments = this.connection.getRepository(ctx, Payment);
    const before = await captures.findOne({ where: { key } });
    if (before) {
      if (before.amount !== amount) {
        throw new UserInputError(`dovetailCapturePayment: key ${key} already captured ${before.amount}, not ${amount}: a key names one capture`);
      }
      const source = await payments.findOne({ where: { id: before.sourcePaymentId } });
      return { ...this.result(before, false), remainingAuthorized: source?.state === 'Authorized' ? source.amount : 0 };
    }
    const payment = await this.connection.getEntityOrThrow(ctx, Payment, paymentId, { relations: ['order'] });
    if (payment.state !== 'Authorized') {
      throw new UserInputError(`dovetailCapturePayment: payment ${paymentId} is ${payment.state}, not Authorized: nothing left to capture on it`);
    }
    if (amount > payment.amount) {
      throw new UserInputError(`dovetailCapturePayment: ${amount} is more than the ${payment.amount} still authorised on payment ${paymentId}; a capture never exceeds the authorisation`);
    }
    let target = payment;
    if (amount < payment.amount) {
      // The split keeps what the customer authorised: Authorized + Settled amounts add up as before.
      payment.amount -= amount;
      await payments.save(payment, { reload: false });
      target = await payments.save(new Payment({
        amount, method: payment.method, state: 'Authorized', transactionId: payment.transactionId,
        metadata: { ...(payment.metadata ?? {}), dovetailSplitFrom: String(payment.id) } as Payment['metadata'], order: payment.order,
      }));
    }
    target.metadata = { ...(target.metadata ?? {}), dovetailCaptureKey: key } as Payment['metadata'];
    await payments.save(target, { reload: false });
    // The method's handler settles (the gateway sees metadata.dovetailCaptureKey, to pass on as
    // its own idempotency key); the state machine moves the order once its total is settled.
    const settled = await this.paymentService.settlePayment(ctx, target.id);
    if (!(settled instanceof Payment) || settled.state !== 'Settled') {
      const why = settled instanceof Payment ? settled.errorMessage ?? settled.state : settled.message;
      throw new UserInputError(`dovetailCapturePayment: the payment handler did not settle ${amount} on payment ${paymentId}: ${why}`);
    }
    const row = await captures.save(new DovetailCapture({
      key, orderId: String(payment.order.id), sourcePaymentId: String(payment.id), paymentId: String(target.id), amount,
    }));
    return { ...this.result(row, true), remainingAuthorized: target === payment ? 0 : payment.amount };
  }

  private result(c: DovetailCapture, created: boolean) {
    return { key: c.key, paymentId: c.paymentId, sourcePaymentId: c.sourcePaymentId, amount: c.amount, created };
  }

  @Query()
  @Allow(Permission.ReadOrder)
  async dovetailMoneyChanges(@Ctx() ctx: RequestContext, @Args() args: { updatedAfter: Date; skip?: number; take?: number }) {
    const after = new Date(args.updatedAfter);
    const take = Math.min(args.take ?? 100, 500);
    const skip = args.skip ?? 0;
    // Read both kinds from the same point and merge: a page is the oldest `take` of the union.
    const payments = await this.connection.getRepository(ctx, Payment).find({
      where: { updatedAt: MoreThanOrEqual(after) }, relations: ['order'], order: { updatedAt: 'ASC', id: 'ASC' }, take: skip + take,
    });
    const refunds = await this.connection.getRepository(ctx, Refund).find({
      where: { updatedAt: MoreThanOrEqual(after) }, relations: ['payment', 'payment.order'], order: { updatedAt: 'ASC', id: 'ASC' }, take: skip + take,
    });
    const rows = [
      ...payments.map((p) => ({ kind: 'payment', id: p.id, orderCode: p.order.code, state: p.state, amount: p.amount, method: p.method, updatedAt: p.updatedAt,
        paymentId: p.id, captureKey: typeof p.metadata?.dovetailCaptureKey === 'string' ? p.metadata.dovetailCaptureKey : null, reason: null })),
      ...refunds.map((r) => ({ kind: 'refund', id: r.id, orderCode: r.payment.order.code, state: r.state, amount: r.total, method: r.method, updatedAt: r.updatedAt,
        paymentId: r.paymentId, captureKey: null, reason: r.reason ?? null })),
    ].sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || String(a.kind).localeCompare(b.kind) || Number(a.id) - Number(b.id));
    return rows.slice(skip, skip + take);
  }
}
