package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
)

const faultUsage = `usage: tuikuan fault add --api API [match flags] [action flags] [--times N | --probability P [--seed S] | --sequence STEPS]
       tuikuan fault list
       tuikuan fault rm ID | --all`

// faultCmd manages the running server's fault rules through /sandbox/v1/faults.
func faultCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if help, err := commandHelp(args, faultUsage, stderr); help {
		return err
	}
	if len(args) == 0 {
		return errors.New(faultUsage)
	}
	switch args[0] {
	case "add":
		return faultAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		fs := newFlagSet("fault list", stderr)
		data := dataFlag(fs, getenv)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return sandboxCall(ctx, *data, "GET", "/sandbox/v1/faults", nil, stdout)
	case "rm":
		return faultRemove(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown fault command %q\n%s", args[0], faultUsage)
}

func faultAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fault add", stderr)
	data := dataFlag(fs, getenv)
	body := map[string]any{}
	str := func(name, usage string) {
		fs.Func(name, usage, func(v string) error { body[strings.ReplaceAll(name, "-", "_")] = v; return nil })
	}
	boolFlag := func(name, usage string) {
		fs.BoolFunc(name, usage, func(v string) error {
			b, err := strconv.ParseBool(v)
			body[strings.ReplaceAll(name, "-", "_")] = b
			return err
		})
	}
	str("api", "what to break: "+strings.Join(endpoint.All, ", "))
	str("mchid", "only requests of this merchant (the caller or its sub-merchant)")
	str("out-refund-no", "only requests for this out_refund_no")
	str("out-trade-no", "only requests for this out_trade_no")
	str("error", "answer this error: SYSTEM_ERROR, FREQUENCY_LIMITED, NOT_ENOUGH, USER_ACCOUNT_ABNORMAL, NO_AUTH, REQUEST_BLOCKED, INVALID_REQUEST, RESOURCE_NOT_EXISTS or PARAM_ERROR")
	fs.Func("latency", "wait this long first, e.g. 2s", func(v string) error {
		d, err := time.ParseDuration(v)
		body["latency_ms"] = d.Milliseconds()
		return err
	})
	boolFlag("drop", "close the connection without handling the request")
	boolFlag("drop-after", "handle the request, then close the connection without answering")
	fs.Func("times", "act on this many matching requests (default once)", intField(body, "times"))
	fs.Func("probability", "act on this share of matching requests, e.g. 0.3; without --times, until removed", func(v string) error {
		p, err := strconv.ParseFloat(v, 64)
		body["probability"] = p
		return err
	})
	fs.Func("seed", "seed of the --probability draws, to repeat a run", func(v string) error {
		s, err := strconv.ParseUint(v, 10, 64)
		body["seed"] = s
		return err
	})
	fs.Func("sequence", "one step per matching request, comma-separated: an error code, pass, drop, drop_after or a latency like 2s; join with + (2s+SYSTEM_ERROR)", func(v string) error {
		steps, err := parseSequence(v)
		body["sequence"] = steps
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), faultUsage)
	}
	return sandboxCall(ctx, *data, "POST", "/sandbox/v1/faults", body, stdout)
}

// parseSequence reads --sequence's steps into the sandbox API's action objects.
func parseSequence(v string) ([]map[string]any, error) {
	actions, err := fault.ParseSequence(v)
	if err != nil {
		return nil, err
	}
	steps := make([]map[string]any, len(actions))
	for i, a := range actions {
		step := map[string]any{}
		if a == (fault.Action{}) {
			step["pass"] = true
		}
		if a.Error != "" {
			step["error"] = a.Error
		}
		if a.Latency != 0 {
			step["latency_ms"] = a.Latency.Milliseconds()
		}
		if a.Drop {
			step["drop"] = true
		}
		if a.DropAfter {
			step["drop_after"] = true
		}
		steps[i] = step
	}
	return steps, nil
}

func faultRemove(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fault rm", stderr)
	data := dataFlag(fs, getenv)
	all := fs.Bool("all", false, "remove every rule")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *all && fs.NArg() == 0:
		if err := sandboxCall(ctx, *data, "DELETE", "/sandbox/v1/faults", nil, io.Discard); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "removed every fault rule")
		return err
	case !*all && fs.NArg() == 1:
		if err := sandboxCall(ctx, *data, "DELETE", "/sandbox/v1/faults/"+url.PathEscape(fs.Arg(0)), nil, io.Discard); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "removed fault rule %s\n", fs.Arg(0))
		return err
	}
	return errors.New(faultUsage)
}
