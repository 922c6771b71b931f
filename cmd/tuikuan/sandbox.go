package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// The sandbox commands are clients of the running server's /sandbox/v1 API; they find it
// and its token in the data dir's credentials.json.

const (
	transactionUsage = "usage: tuikuan transaction create --mchid M --total N [flags]"
	refundUsage      = "usage: tuikuan refund settle --status SUCCESS|ABNORMAL|CLOSED REFUND_ID"
)

func transaction(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if help, err := commandHelp(args, transactionUsage, stderr); help {
		return err
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New(transactionUsage)
	}
	fs := newFlagSet("transaction create", stderr)
	data := dataFlag(fs, getenv)
	body := map[string]any{}
	str := func(name, usage string) { strField(fs, body, name, usage) }
	str("mchid", "the merchant (a sub merchant for a partner's order)")
	str("sp-mchid", "the partner, for a sub merchant (defaults to its partner)")
	str("appid", "appid (defaults to the merchant's or partner's)")
	str("out-trade-no", "merchant order number (generated if empty)")
	str("bank-type", "how the payer paid, e.g. CMB_CREDIT (default: WeChat balance)")
	str("refund-outcome", "what refunds of this order settle to: SUCCESS, ABNORMAL or CLOSED")
	fs.Func("total", "order amount in fen", intField(body, "total"))
	fs.Func("payer-total", "what the payer paid, in fen (default total minus promotions)", intField(body, "payer_total"))
	fs.Func("promotion", "a promotion id:scope:type:amount, e.g. 109519:GLOBAL:COUPON:200 (repeatable)", func(v string) error {
		parts := strings.Split(v, ":")
		if len(parts) != 4 {
			return errors.New("want id:scope:type:amount")
		}
		amount, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil {
			return err
		}
		ps, _ := body["promotions"].([]any)
		body["promotions"] = append(ps, map[string]any{"promotion_id": parts[0], "scope": parts[1], "type": parts[2], "amount": amount})
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/transactions", body, stdout)
}

func refundCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if help, err := commandHelp(args, refundUsage, stderr); help {
		return err
	}
	if len(args) == 0 || args[0] != "settle" {
		return errors.New(refundUsage)
	}
	fs := newFlagSet("refund settle", stderr)
	data := dataFlag(fs, getenv)
	status := fs.String("status", "SUCCESS", "SUCCESS, ABNORMAL or CLOSED")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(refundUsage)
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/refunds/"+fs.Arg(0)+"/settle", map[string]any{"status": *status}, stdout)
}

func clock(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("clock", stderr)
	data := dataFlag(fs, getenv)
	var advance flag.Value = new(durationSeconds)
	fs.Var(advance, "advance", "move business time forward, e.g. 90s, 36h, 400h")
	if len(args) > 0 && (args[0] == "show" || args[0] == "advance") {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if s := int64(*advance.(*durationSeconds)); s != 0 {
		return sandboxCall(ctx, *data, "POST", "/sandbox/v1/clock", map[string]any{"advance_seconds": s}, stdout)
	}
	return sandboxCall(ctx, *data, "GET", "/sandbox/v1/clock", nil, stdout)
}

// durationSeconds is a flag taking a Go duration, kept as whole seconds.
type durationSeconds int64

func (d *durationSeconds) String() string { return strconv.FormatInt(int64(*d), 10) + "s" }
func (d *durationSeconds) Set(v string) error {
	dur, err := parseDuration(v)
	if err != nil {
		return err
	}
	// Business time only moves forward, by whole seconds: less would round to showing
	// the clock unmoved, as if the advance had happened.
	if dur < 1 {
		return fmt.Errorf("%s is not a forward move of at least 1s", v)
	}
	*d = durationSeconds(dur)
	return nil
}

func parseDuration(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(v)
	return int64(d.Seconds()), err
}

// strField registers flag name as a string field of body, its key the name with "_" for "-".
func strField(fs *flag.FlagSet, body map[string]any, name, usage string) {
	fs.Func(name, usage, func(v string) error { body[strings.ReplaceAll(name, "-", "_")] = v; return nil })
}

func intField(body map[string]any, key string) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		body[key] = n
		return err
	}
}

// sandboxCall sends one request to the server named in dir's credentials.json and prints
// the JSON answer; a non-2xx answer is an error carrying the server's message.
func sandboxCall(ctx context.Context, dir, method, path string, body any, stdout io.Writer) error {
	creds, err := identity.ReadCredentials(dir)
	if err != nil {
		return fmt.Errorf("read credentials (is the server set up in %s?): %w", dir, err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, creds.APIBase+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+creds.SandboxToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is `tuikuan serve` running at %s? %w", creds.APIBase, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s\n%s", method, path, resp.Status, out)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", bytes.TrimSpace(out))
	return err
}
