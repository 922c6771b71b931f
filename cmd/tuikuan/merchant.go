package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
)

const merchantUsage = `usage: tuikuan merchant add [flags]
       tuikuan merchant list [flags]`

// merchant adds or lists merchants, working on the data dir directly (the server may be
// running: SQLite takes a second process) and rewriting credentials.json.
func merchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if help, err := commandHelp(args, merchantUsage, stderr); help {
		return err
	}
	if len(args) == 0 {
		return errors.New(merchantUsage)
	}
	switch args[0] {
	case "add":
		return merchantAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return merchantList(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown merchant command %q: want add or list", args[0])
}

func merchantAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant add", stderr)
	data, db := dataFlag(fs, getenv), dbFlag(fs, getenv)
	kind := fs.String("kind", "direct", "direct, partner or sub")
	sp := fs.String("sp-mchid", "", "the partner of a sub merchant")
	mchid := fs.String("mchid", "", "merchant number (generated if empty)")
	appid := fs.String("appid", "", "appid (generated if empty)")
	certFile := fs.String("cert", "", "the merchant's own API certificate (PEM); its private key stays with the merchant")
	v3 := fs.String("apiv3-key", "", "APIv3 key, 32 characters (generated if empty)")
	v2 := fs.String("apiv2-key", "", "APIv2 key, 32 characters (generated if empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nm := identity.NewMerchant{Kind: pay.Kind(*kind), SpMchid: *sp, Mchid: *mchid, Appid: *appid, APIv3Key: *v3, APIv2Key: *v2}
	if *certFile != "" {
		pem, err := os.ReadFile(*certFile)
		if err != nil {
			return err
		}
		nm.CertPEM = pem
	}
	// Not the serve lock: a running server is fine, the store takes a second process.
	unlock, err := lockDir(*data, setupLock, true)
	if err != nil {
		return err
	}
	defer unlock()
	store, platform, token, err := openData(ctx, *data, *db, 0)
	if err != nil {
		return err
	}
	defer store.Close()
	m, err := identity.AddMerchant(ctx, *data, store, nm, time.Now())
	if err != nil {
		return err
	}
	apiBase := "http://127.0.0.1:8080"
	if c, err := identity.ReadCredentials(*data); err == nil {
		apiBase = c.APIBase
	}
	if err := writeCredentials(ctx, *data, apiBase, store, platform, token); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s merchant %s (certificate serial %s); credentials.json updated\n", m.Kind, m.Mchid, m.CertSerial)
	return nil
}

func merchantList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant list", stderr)
	data, db := dataFlag(fs, getenv), dbFlag(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	unlock, err := lockDir(*data, setupLock, true)
	if err != nil {
		return err
	}
	defer unlock()
	store, _, _, err := openData(ctx, *data, *db, 0)
	if err != nil {
		return err
	}
	defer store.Close()
	ms, err := identity.Merchants(ctx, store)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MCHID\tKIND\tSP_MCHID\tAPPID\tCERT_SERIAL\tPRIVATE_KEY_FILE")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Mchid, m.Kind, m.SpMchid, m.Appid, m.CertSerial, m.PrivateKeyFile)
	}
	return tw.Flush()
}
