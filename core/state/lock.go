package state

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// Two runs of one target would list the same objects and send them both,
// since neither sees the other's rows until it commits. Each open database
// therefore holds an exclusive lock in a file beside it, <db>.lock: never
// on the database itself, which SQLite (and the Python wodle) lock in their
// own way. The locks are open-file-description (OFD) record locks: they
// belong to the open file, so two opens in one process exclude each other
// as two processes do, and the kernel drops them when a killed process's
// file is closed.
//
// A scope (OpenScope) locks one byte chosen by the scope's hash: the runs
// of one bucket exclude each other, while two targets sharing the database
// (two <wodle name="aws-s3"> blocks are two modulesd threads) run side by
// side, their writes serialised by SQLite. An open without a scope locks
// the whole file, every scope included.

// LockWait is how long Open waits for another run to release the
// database before it gives up with an *Error of Kind Locked.
const LockWait = 30 * time.Second

// lockPoll bounds the wait between two attempts to take the lock.
const lockPoll = 100 * time.Millisecond

// LockPath returns the lock file of the database at path.
func LockPath(path string) string { return path + ".lock" }

// Lock is a held database lock.
type Lock struct {
	f *os.File
}

// Release releases the lock; a nil Lock or a second call does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the description drops the flock
	l.f = nil
	return err
}

// lockDB takes the lock of scope ("" for the whole file) of the database
// at path (absolute), waiting at most wait for another holder. A directory
// where the lock file cannot be created or written (read-only) is not
// locked: a run there cannot write its rows either, so there is nothing to
// protect.
func lockDB(ctx context.Context, path, scope string, wait time.Duration, log logging.Logger) (*Lock, error) {
	lp := LockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			log.Debug(2, fmt.Sprintf("+++ Cannot create the lock file %s (%v); going on without it", lp, err))
			return nil, nil
		}
		return nil, &Error{Kind: Query, Msg: fmt.Sprintf("Error attempting to lock the %s database: %v", path, err), Err: err}
	}
	user := "the " + path + " database"
	if scope != "" {
		user = scope + " in the " + path + " database"
	}
	deadline := time.Now().Add(wait)
	warned := false
	for {
		err := lockRange(f, scope)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if err != syscall.EAGAIN && err != syscall.EACCES {
			f.Close()
			return nil, &Error{Kind: Query, Msg: fmt.Sprintf("Error attempting to lock the %s database: %s: %v", path, lp, err), Err: err}
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, &Error{Kind: Locked, Err: ErrLocked, Msg: fmt.Sprintf(
				"Another aws-s3 run is using %s: its lock %s was still held after %v.", user, lp, wait)}
		}
		if !warned {
			warned = true
			log.Info(fmt.Sprintf("Another aws-s3 run is using %s; waiting up to %v for it to finish.", user, wait))
		}
		t := time.NewTimer(min(lockPoll, left))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, ctx.Err()
		}
	}
}

// ErrLocked is the cause of the *Error of a run that gave up waiting for
// another run's lock.
var ErrLocked = errors.New("state: database locked by another run")

// lockRange takes, without waiting, the write lock of scope's byte of f,
// or of the whole file for "".
func lockRange(f *os.File, scope string) error {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if scope != "" {
		h := fnv.New32a()
		h.Write([]byte(scope))
		lk.Start, lk.Len = 1+int64(h.Sum32()), 1
	}
	for {
		err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk)
		if err != unix.EINTR {
			return err
		}
	}
}

// Open is OpenContext without a context: the wait for another run's lock
// cannot be cut short.
func Open(path, version string, log logging.Logger) (*DB, error) {
	return OpenContext(context.Background(), path, version, log)
}

// OpenContext opens the database for a run that may touch any of its
// rows: it waits for every other run on the database.
func OpenContext(ctx context.Context, path, version string, log logging.Logger) (*DB, error) {
	return OpenScope(ctx, path, "", version, log)
}
