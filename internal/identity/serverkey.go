package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ServerKeyFile holds the key that seals sensitive values at rest (abnormal-refund bank
// accounts and names). It lives in the data dir, apart from the database, so that a copy
// of the database alone reveals nothing.
const ServerKeyFile = "server.key"

// LoadOrCreateServerKey reads dir's server key, creating it (32 random bytes, mode 0600)
// on first start.
func LoadOrCreateServerKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, ServerKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := writeFile(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("write server key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read server key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s has %d bytes, want 32", path, len(key))
	}
	return key, nil
}
