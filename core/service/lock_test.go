package service

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/state"
)

// The services database is used through core/state's connection; the
// lock state takes must stay held until the service run closes the file.
func TestServicesDBHoldsLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws_services.db")
	d, err := openDB(context.Background(), path, "v5.1.0", logging.Discard{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if other, err := state.OpenContext(ctx, path, "v5.1.0", nil); !errors.Is(err, context.DeadlineExceeded) {
		if other != nil {
			other.Close()
		}
		t.Fatalf("a second open while the service run holds the file: %v, want it to wait", err)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	other, err := state.Open(path, "v5.1.0", nil)
	if err != nil {
		t.Fatalf("lock not released by close: %v", err)
	}
	other.Close()
}
