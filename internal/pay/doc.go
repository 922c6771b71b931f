// Package pay is tuikuan's domain: what a WeChat Pay merchant has at the payment
// platform — merchants, orders, refunds, consumer complaints, merchant coupons and the
// notifications owed for them — and the rules of money that bind them. It imports
// neither HTTP nor SQL; transports call its services, and storage is reached through the
// Store interface declared here.
package pay
