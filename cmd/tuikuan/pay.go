package main

import (
	"context"
	"fmt"
	"io"
)

const payUsage = `usage: tuikuan pay (--prepay-id ID | --code-url URL | --h5-url URL | --mchid M --out-trade-no NO) [flags]`

// payCmd plays the payer of an order a merchant placed, through the sandbox API: WeChat
// Pay's merchant API has no call for the user's side of a payment.
func payCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pay", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nflags:\n", payUsage)
		fs.PrintDefaults()
	}
	data := dataFlag(fs, getenv)
	body := map[string]any{}
	str := func(name, usage string) { strField(fs, body, name, usage) }
	str("prepay-id", "the prepay_id of a JSAPI or APP order")
	str("code-url", "the code_url of a NATIVE order (what its QR code holds)")
	str("h5-url", "the h5_url of an H5 order")
	str("mchid", "the merchant, with --out-trade-no (a partner's order: the sub merchant)")
	str("out-trade-no", "the merchant's order number, with --mchid")
	str("outcome", "SUCCESS (default), PAYERROR or USERPAYING")
	str("openid", "the payer's openid (default: the one the order names)")
	str("bank-type", "how the payer paid, e.g. CMB_CREDIT (default: WeChat balance)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/payments", body, stdout)
}
