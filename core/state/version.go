package state

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// WazuhVersion is the version the metadata table records, read as the
// reference reads it: WAZUH_VERSION from `<home>/bin/wazuh-control info`,
// quotes removed; "ERROR" when the command prints none.
func WazuhVersion(ctx context.Context, home string) (string, error) {
	bin := filepath.Join(home, "bin", "wazuh-control")
	out, err := exec.CommandContext(ctx, bin, "info").Output()
	if err != nil {
		return "", fmt.Errorf("a problem occurred while executing %s", bin)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "WAZUH_VERSION="); ok {
			return strings.ReplaceAll(v, `"`, ""), nil
		}
	}
	return "ERROR", nil
}
