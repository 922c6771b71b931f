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
	for _, f := range []struct{ name, usage string }{
		{"prepay-id", "the prepay_id of a JSAPI or APP order"},
		{"code-url", "the code_url of a NATIVE order (what its QR code holds)"},
		{"h5-url", "the h5_url of an H5 order"},
		{"mchid", "the merchant, with --out-trade-no (a partner's order: the sub merchant)"},
		{"out-trade-no", "the merchant's order number, with --mchid"},
		{"outcome", "SUCCESS (default), PAYERROR or USERPAYING"},
		{"openid", "the payer's openid (default: the one the order names)"},
		{"bank-type", "how the payer paid, e.g. CMB_CREDIT (default: OTHERS)"},
	} {
		strField(fs, body, f.name, f.usage)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/payments", body, stdout)
}
