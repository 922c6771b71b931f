// Package pay is tuikuan's domain: what a WeChat Pay merchant has at the payment
// platform — merchants, orders, refunds, consumer complaints, merchant coupons and the
// notifications owed for them — and the rules of money that bind them. It imports
// neither HTTP nor SQL; transports call its services, and storage is reached through the
// Store interface declared here.
//
// # Services
//
// NewService builds one Service whose fields are the services, one per subdomain:
//
//   - Refunds: applying for refunds, querying them, settling them (by hand or by the
//     settler), abnormal refunds and advance returns.
//   - Complaints: consumer complaints, their negotiation history, the images attached to
//     them and the merchants' complaint notification URLs.
//   - Coupons: merchant-coupon stocks and the coupons sent, used, returned and
//     deactivated from them.
//   - Orders: orders placed by merchants (下单), paid by the sandbox's payer, queried
//     and closed; and the sandbox's orders made paid in one step.
//   - Merchants: a merchant's record, its settings and its rate-limit profile.
//   - Notifications: the notifications owed to merchants, claimed and recorded by the
//     deliverer and listed by the sandbox.
//   - Time: business time, loaded from the store and moved forward by testers.
//
// They share one core: the Store, the business Clock and the Settings (the sealer, the
// refund spacing, the default rate-limit profile), the last by pointer, so that the
// settings set on the Service before it serves are the ones every service reads.
//
// # Couplings
//
// Two services call another, and only these two:
//
//   - Refunds holds the Complaints it informs: a refund's success closes the complaint
//     whose refund the merchant approved (Complaints.refundSucceeded).
//   - Orders holds the Coupons an order is paid with: paying an order uses the coupons its
//     promotions name (Coupons.consume).
//
// Both are calls inside the caller's store transaction rather than events handled
// later, because each side is a rule the API shows at once: the complaint is 处理完成
// in the same answer that reports the refund SUCCESS, and a coupon cannot be used by two
// orders that race for it. An event would let a reader see one half without the other,
// or need its own retries to keep the halves together.
//
// The notifications a change owes (oweRefund, oweComplaint, owePayment) are written in the same
// transaction by plain functions, not by the Notifications service, which only delivers
// what is owed.
package pay
