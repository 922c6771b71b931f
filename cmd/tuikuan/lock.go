package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Locks on the data dir, OS file locks (flock) that the kernel drops when the process
// dies, so that kill -9 never leaves a stale lock:
//
//   - serveLock is held by `tuikuan serve` for its whole life: a second server on the
//     same SQLite data dir would rewrite the first one's credentials.json.
//   - setupLock is held while the installation is completed or changed (first start
//     and repair, credentials.json, `merchant add`), so that `merchant add` can run
//     next to a running server, as the README promises, but never races a first start.
const (
	serveLock = "serve.lock"
	setupLock = "setup.lock"
)

// lockDir takes name's lock in dir; wait says whether to wait for another holder or to
// fail at once. unlock releases it.
func lockDir(dir, name string, wait bool) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another tuikuan serve; stop it first or use another --data", dir)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return func() { f.Close() }, nil
}
