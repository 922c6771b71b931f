package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// credFile is a credential file the console offers for download.
type credFile struct {
	Mchid string // "" for the server's own files
	Path  string // relative to the data dir, with forward slashes: the download URL's tail
	Name  string
}

// credentialFiles is the download allow-list: the public files of the server and, per
// merchant, the files tuikuan wrote for it. Nothing else in the data dir — the CA's and
// the server's keys above all — is ever served. Only files present are listed.
func (h *handler) credentialFiles(ctx context.Context) ([]credFile, error) {
	ms, err := h.svc.Merchants.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []credFile
	add := func(mchid, rel string) {
		if rel == "" {
			return
		}
		if _, err := os.Stat(filepath.Join(h.data, rel)); err != nil {
			return
		}
		p := filepath.ToSlash(rel)
		out = append(out, credFile{Mchid: mchid, Path: p, Name: path.Base(p)})
	}
	for _, m := range ms {
		add(m.Mchid, m.CertFile)
		add(m.Mchid, m.PrivateKeyFile)
		add(m.Mchid, identity.P12File(m.Mchid))
		add(m.Mchid, identity.ClientCertFile(m.Mchid))
	}
	add("", identity.PublicKeyFile)
	add("", identity.CertFile)
	add("", identity.CAFile)
	return out, nil
}

// download serves a credential file as an attachment, if the allow-list holds its path:
// the path from the URL only picks an entry, it is never joined to the data dir.
func (h *handler) download(w http.ResponseWriter, r *http.Request) error {
	files, err := h.credentialFiles(r.Context())
	if err != nil {
		return err
	}
	want := r.PathValue("path")
	for _, f := range files {
		if f.Path != want {
			continue
		}
		b, err := os.ReadFile(filepath.Join(h.data, filepath.FromSlash(f.Path)))
		if errors.Is(err, fs.ErrNotExist) {
			return pay.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Path, err)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(f.Name))
		_, err = w.Write(b)
		return err
	}
	return pay.ErrNotFound
}
