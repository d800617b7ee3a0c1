package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver"
)

// TestServeLimits: the session and token limits reach the server's Config from
// their flags, with the server's defaults when not given; a zero limit, which
// Config would read as "the default", and a bad value are usage errors.
func TestServeLimits(t *testing.T) {
	t.Parallel()
	cfg, err := serveConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSessionsPerUser != refserver.DefaultMaxSessionsPerUser || cfg.MaxSessions != refserver.DefaultMaxSessions ||
		cfg.TokenFailureBurst != refserver.DefaultTokenFailureBurst || cfg.TokenFailureInterval != refserver.DefaultTokenFailureInterval {
		t.Errorf("defaults: %d %d %d %v", cfg.MaxSessionsPerUser, cfg.MaxSessions, cfg.TokenFailureBurst, cfg.TokenFailureInterval)
	}
	cfg, err = serveConfig([]string{"--max-sessions-per-user", "4", "--max-sessions", "-1", "--token-failure-burst", "-1", "--token-failure-interval", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSessionsPerUser != 4 || cfg.MaxSessions != -1 || cfg.TokenFailureBurst != -1 || cfg.TokenFailureInterval != 2*time.Second {
		t.Errorf("set: %d %d %d %v", cfg.MaxSessionsPerUser, cfg.MaxSessions, cfg.TokenFailureBurst, cfg.TokenFailureInterval)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-sessions-per-user", "0"}, "--max-sessions-per-user 0"},
		{[]string{"--max-sessions", "0"}, "--max-sessions 0"},
		{[]string{"--token-failure-burst", "0"}, "--token-failure-burst 0"},
		{[]string{"--token-failure-interval", "0s"}, "positive duration"},
		{[]string{"--max-sessions", "many"}, "invalid value"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr strings.Builder
			_, err := serveConfig(tc.args, &stderr)
			if !errors.Is(err, exitError{2}) || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("%v, %q; want exit 2 and %q", err, stderr.String(), tc.want)
			}
		})
	}
}
