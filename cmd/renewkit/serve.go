package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/seedb14f67b8/renewkit/refserver"
)

// runServe runs the reference server until interrupted.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := serveConfig(args, stderr)
	if err != nil {
		return err
	}
	return refserver.Run(ctx, cfg)
}

// serveConfig is the server's Config from serve's command line; a usage error is
// exitError{2}, -h is flag.ErrHelp.
func serveConfig(args []string, stderr io.Writer) (refserver.Config, error) {
	fs := newFlags("serve", "serve [flags]", stderr)
	var cfg refserver.Config
	fs.StringVar(&cfg.Addr, "addr", refserver.DefaultAddr, "listen address")
	fs.StringVar(&cfg.StoreDSN, "store", refserver.DefaultStoreDSN, `storage: "sqlite:PATH" (data survives restarts) or "memory:"`)
	fs.StringVar(&cfg.FixturesPath, "fixtures", "", "fixtures YAML seeded at start (default: the built-in fixtures/default.yaml)")
	fs.BoolVar(&cfg.NoFixtures, "no-fixtures", false, "do not seed fixtures; serve the store as it is")
	fs.StringVar(&cfg.Prefix, "prefix", refserver.DefaultPrefix, "path prefix of the passcode and admin endpoints")
	fs.StringVar(&cfg.SRPProfile, "srp-profile", refserver.DefaultSRPProfile, "SRP proof profile: rfc5054-padded or rfc2945")
	fs.IntVar(&cfg.SRPGroupBits, "srp-group", refserver.DefaultSRPGroupBits, "SRP group size in bits (RFC 5054: 1024 ... 8192)")
	fs.DurationVar(&cfg.SessionTTL, "session-ttl", refserver.DefaultSessionTTL, "lifetime of a started session")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", refserver.DefaultTokenTTL, "lifetime of issued access tokens")
	fs.StringVar(&cfg.Issuer, "issuer", refserver.DefaultIssuer, "iss claim of issued tokens")
	fs.StringVar(&cfg.SigningKeyFile, "signing-key", "", "PEM file with the ES256 signing key (default: a fresh key per start)")
	fs.IntVar(&cfg.MaxSessionsPerUser, "max-sessions-per-user", refserver.DefaultMaxSessionsPerUser, "most open sessions of one user, every flow together; a start beyond it drops the user's oldest (then 404 SESSION_NOT_FOUND); negative: no limit")
	fs.IntVar(&cfg.MaxSessions, "max-sessions", refserver.DefaultMaxSessions, "most sessions the server holds; a start beyond it is 429 TOO_MANY_REQUESTS with Retry-After; negative: no limit")
	fs.IntVar(&cfg.TokenFailureBurst, "token-failure-burst", refserver.DefaultTokenFailureBurst, "failed client authentications in a row per client id before /oauth/token answers 429; negative: no throttle")
	fs.DurationVar(&cfg.TokenFailureInterval, "token-failure-interval", refserver.DefaultTokenFailureInterval, "one more failed client authentication allowed per client id this often once the burst is spent")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, exitError{2}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "renewkit serve: unexpected arguments %q\n", fs.Args())
		return cfg, exitError{2}
	}
	// Zero would mean the default in Config, not "none": say so rather than guess.
	for _, z := range []struct {
		name string
		v    int
	}{{"max-sessions-per-user", cfg.MaxSessionsPerUser}, {"max-sessions", cfg.MaxSessions}, {"token-failure-burst", cfg.TokenFailureBurst}} {
		if z.v == 0 {
			fmt.Fprintf(stderr, "renewkit serve: --%s 0: give a positive limit, or a negative one for none\n", z.name)
			return cfg, exitError{2}
		}
	}
	if cfg.TokenFailureInterval <= 0 {
		fmt.Fprintf(stderr, "renewkit serve: --token-failure-interval %v: want a positive duration\n", cfg.TokenFailureInterval)
		return cfg, exitError{2}
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "renewkit serve: %v\n", err)
		return cfg, exitError{2}
	}
	cfg.Logger = logger
	return cfg, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}
