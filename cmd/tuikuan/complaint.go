package main

import (
	"context"
	"errors"
	"io"
	"strings"
)

const complaintUsage = `usage: tuikuan complaint create --transaction-id ID --problem-type REFUND|SERVICE_NOT_WORK|OTHERS --detail TEXT [flags]
       tuikuan complaint message --content TEXT COMPLAINT_ID
       tuikuan complaint continue [--content TEXT] COMPLAINT_ID`

// complaintCmd plays the user who complains, through the sandbox API: WeChat's
// merchant API has no call for the user's side of a complaint.
func complaintCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if help, err := commandHelp(args, complaintUsage, stderr); help {
		return err
	}
	if len(args) == 0 {
		return errors.New(complaintUsage)
	}
	fs := newFlagSet("complaint "+args[0], stderr)
	data := dataFlag(fs, getenv)
	body := map[string]any{}
	str := func(name, key, usage string) {
		fs.Func(name, usage, func(v string) error { body[key] = v; return nil })
	}
	list := func(name, key, usage string) {
		fs.Func(name, usage, func(v string) error {
			body[key] = []string{}
			if v != "" {
				body[key] = strings.Split(v, ",")
			}
			return nil
		})
	}
	switch args[0] {
	case "create":
		str("transaction-id", "transaction_id", "the paid order complained about")
		str("problem-type", "problem_type", "REFUND, SERVICE_NOT_WORK or OTHERS")
		str("detail", "complaint_detail", "what the user says")
		str("payer-phone", "payer_phone", "the user's phone (sealed at rest)")
		fs.Func("apply-refund-amount", "what the user asks back, in fen (REFUND only)", intField(body, "apply_refund_amount"))
		list("user-tags", "user_tag_list", `comma-separated user tags ("" for none; default TRUSTED for REFUND)`)
		list("media", "media", "comma-separated image URLs")
	case "message", "continue":
		str("content", "content", "the user's message")
	default:
		return errors.New(complaintUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "create" {
		return sandboxCall(ctx, *data, "POST", "/sandbox/v1/complaints", body, stdout)
	}
	if fs.NArg() != 1 {
		return errors.New(complaintUsage)
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/complaints/"+fs.Arg(0)+"/"+map[string]string{"message": "messages", "continue": "continue"}[args[0]], body, stdout)
}
