package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/logging"
)

// Two runs on one database would list the same objects and send them
// both, since neither sees the other's rows until it commits. Each open
// database therefore holds an exclusive flock on a file beside it,
// <db>.lock: never on the database itself, which SQLite (and the Python
// wodle) lock in their own way. flock belongs to the open file
// description, so two opens in one process exclude each other as two
// processes do, and the kernel drops it when a killed process's file is
// closed.

// LockWait is how long Open waits for another run to release the
// database before it gives up with ExitLocked.
const LockWait = 30 * time.Second

// ExitLocked is the exit status of a run that gave up waiting for the
// database's lock (not one of the script's codes: the script had no lock).
const ExitLocked = 24

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

// lockDB takes the lock of the database at path (absolute), waiting at
// most wait for another holder. A directory where the lock file cannot be
// created (read-only) is not locked: a run there cannot write its rows
// either, so there is nothing to protect.
func lockDB(ctx context.Context, path string, wait time.Duration, log logging.Logger) (*Lock, error) {
	lp := LockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		if f, err = os.Open(lp); err != nil {
			if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) || errors.Is(err, os.ErrNotExist) {
				log.Debug(2, fmt.Sprintf("+++ Cannot create the lock file %s (%v); going on without it", lp, err))
				return nil, nil
			}
			return nil, &Error{Code: exit.SQLite, Msg: fmt.Sprintf("Error attempting to lock the %s database: %v", path, err), Err: err}
		}
	}
	deadline := time.Now().Add(wait)
	warned := false
	for {
		err := flock(f)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, &Error{Code: exit.SQLite, Msg: fmt.Sprintf("Error attempting to lock the %s database: flock %s: %v", path, lp, err), Err: err}
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, &Error{Code: ExitLocked, Err: ErrLocked, Msg: fmt.Sprintf(
				"Another aws-s3 run is using the %s database: its lock %s was still held after %v.", path, lp, wait)}
		}
		if !warned {
			warned = true
			log.Info(fmt.Sprintf("Another aws-s3 run is using the %s database; waiting up to %v for it to finish.", path, wait))
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

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Open is OpenContext without a context: the wait for another run's lock
// cannot be cut short.
func Open(path, version string, log logging.Logger) (*DB, error) {
	return OpenContext(context.Background(), path, version, log)
}
