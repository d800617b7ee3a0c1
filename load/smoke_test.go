package load

import (
	"context"
	"testing"

	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
	"github.com/seedb14f67b8/renewkit/sut"
)

// TestSmokeAgainstReferenceServer is the CI smoke run: the built-in smoke profile
// (a few seconds at a low rate) against the reference server in this process, with
// the default fixtures. Every completion must succeed with a verified M2.
func TestSmokeAgainstReferenceServer(t *testing.T) {
	t.Parallel()
	srv := refservertest.Start(t, refserver.Config{})
	prof, err := BuiltinProfile("smoke")
	if err != nil {
		t.Fatal(err)
	}
	// The bare-URL target: its full role's token comes from the server's own
	// token endpoint, as in `renewkit load --target URL`.
	tg, err := sut.FromURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := Run(context.Background(), Config{
		Target:    tg,
		Profile:   prof,
		ReportDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	logSummary(t, s)
	g := s.Generator
	if g.Sent == 0 || g.Sent+g.Starved+g.Dropped != g.Planned {
		t.Errorf("sent %d, starved %d, dropped %d of %d planned", g.Sent, g.Starved, g.Dropped, g.Planned)
	}
	if s.Complete.Errors != 0 || s.Start.Errors != 0 {
		t.Errorf("errors: complete %v, start %v", s.Complete.ErrorCodes, s.Start.ErrorCodes)
	}
	if s.Complete.Verified != s.Complete.Count || g.Renewed != uint64(s.Complete.Count) {
		t.Errorf("%d of %d M2 verified, %d renewed", s.Complete.Verified, s.Complete.Count, g.Renewed)
	}
	if !s.Passed {
		t.Errorf("smoke thresholds failed: %+v", s.Thresholds)
	}
}
