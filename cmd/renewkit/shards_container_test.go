package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/load"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

// TestShardsInContainers is a distributed load run on the Docker engine the tests
// have, as deploy/kubernetes runs one on a cluster: one reference server, a
// collector (renewkit load merge --listen) and three generators (renewkit load
// --shard i/3 --collector), all from the harness image on one Docker network. The
// generators meet at the collector's start barrier, start together, upload their
// reports, and the collector merges them. Then, from the merged summary and the
// shards' uploaded results:
//   - the merged run planned exactly the profile's completions (not the shards'
//     rounded-up shares), and sent them all;
//   - the shards' users are disjoint and together the profile's;
//   - every completion's M2 verified, with no error;
//   - the merged percentiles are those of all the shards' results, recomputed here
//     exactly from the results files (the merge's HDR histogram keeps three
//     significant digits).
//
// It skips where no Docker engine answers, or where the image (make image) is not
// built; RENEWKIT_IMAGE names another image.
func TestShardsInContainers(t *testing.T) {
	if testing.Short() {
		t.Skip("the three-generator container run is not short")
	}
	ctx := context.Background()
	if err := provider.DockerAvailable(ctx); err != nil {
		t.Skipf("container test skipped: no Docker engine answers: %v", err)
	}
	image := os.Getenv("RENEWKIT_IMAGE")
	if image == "" {
		image = "renewkit:dev"
	}
	provider.QuietContainers()
	if !imagePresent(ctx, t, image) {
		t.Skipf("container test skipped: image %s is not built here (make image)", image)
	}
	nw, err := network.New(ctx)
	if err != nil {
		t.Fatalf("creating a Docker network: %v", err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.WithoutCancel(ctx)) })

	const (
		shards   = 3
		users    = 21
		rate     = 10.0 // all shards together: 10/3 per shard, which no shard plans exactly
		duration = 4 * time.Second
		runID    = "ctr"
	)
	server := runContainer(ctx, t, nw, "server", testcontainers.ContainerRequest{
		Image: image, ExposedPorts: []string{"8080/tcp"}, WaitingFor: wait.ForMappedPort("8080/tcp"),
	})
	waitHTTP(ctx, t, server, "8080/tcp", "/readyz")
	collector := runContainer(ctx, t, nw, "collector", testcontainers.ContainerRequest{
		Image:      image,
		Entrypoint: []string{"/renewkit", "load", "merge", "--listen", ":9090", "--shards", strconv.Itoa(shards), "--lead", "2s", "--wait", "4m", "--report-dir", "/tmp/merged"},
		WaitingFor: wait.ForLog("collector: listening"),
	})
	gens := make([]testcontainers.Container, shards)
	for i := range gens {
		gens[i] = runContainer(ctx, t, nw, fmt.Sprintf("generator-%d", i+1), testcontainers.ContainerRequest{
			Image: image,
			Entrypoint: []string{"/renewkit", "load", "--target", "http://server:8080", "--collector", "http://collector:9090",
				"--run-id", runID, "--shard", fmt.Sprintf("%d/%d", i+1, shards), "--profile", "smoke",
				"--users", strconv.Itoa(users), "--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", duration.String(),
				"--report-dir", "/tmp/load"},
		})
	}
	for i, g := range gens {
		if code := waitExit(ctx, t, g, 3*time.Minute); code != 0 {
			t.Fatalf("generator %d/%d exited %d:\n%s", i+1, shards, code, logsOf(ctx, g))
		}
	}
	if code := waitExit(ctx, t, collector, time.Minute); code != 0 {
		t.Fatalf("the collector exited %d:\n%s", code, logsOf(ctx, collector))
	}

	var merged load.Summary
	readJSON(ctx, t, collector, "/tmp/merged/"+load.SummaryFile, &merged)
	prof, err := load.BuiltinProfile("smoke")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := load.ConstantSchedule(rate, duration)
	if err != nil {
		t.Fatal(err)
	}
	if len(prof.Stages) != 1 {
		t.Fatalf("the smoke profile has %d stages; this test plans it as one constant stage", len(prof.Stages))
	}
	if merged.Generator.Planned != whole.Planned() || merged.Generator.Sent != whole.Planned() {
		t.Errorf("merged run planned %d and sent %d completions; the profile (%v/s for %v) plans %d",
			merged.Generator.Planned, merged.Generator.Sent, rate, duration, whole.Planned())
	}
	if merged.Verdict != load.VerdictPass || merged.RunID != runID || len(merged.Shards) != shards {
		t.Errorf("merged run: verdict %s, run id %q, %d shards; want PASS, %q, %d", merged.Verdict, merged.RunID, len(merged.Shards), runID, shards)
	}

	var all []time.Duration
	seen := map[int]int{} // user index -> shard
	planned := uint64(0)
	var first time.Time // shard 1's start time
	for i := 1; i <= shards; i++ {
		dir := fmt.Sprintf("/tmp/merged/shards/shard-%d/", i)
		var s load.Summary
		readJSON(ctx, t, collector, dir+load.SummaryFile, &s)
		sh := load.Shard{Index: i, Count: shards}
		if s.Shard != sh.String() || s.Users != len(sh.Users(users)) {
			t.Errorf("shard %d's summary: shard %q, %d users; want %s, %d", i, s.Shard, s.Users, sh, len(sh.Users(users)))
		}
		for _, k := range sh.Users(users) {
			if j, dup := seen[k]; dup {
				t.Errorf("user %s is in shard %d and shard %d", load.ExternalID(runID, k), j, i)
			}
			seen[k] = i
		}
		planned += s.Generator.Planned
		if s.StartAt.IsZero() || s.ClockSkew == nil {
			t.Errorf("shard %d did not start at the collector's barrier (startAt %v)", i, s.StartAt)
		}
		if first.IsZero() {
			first = s.StartAt
		} else if d := s.StartAt.Sub(first).Abs(); d > 50*time.Millisecond {
			// Each shard corrects the collector's start time by its own clock's offset,
			// measured to within a round trip on one host.
			t.Errorf("shard %d starts %v from shard 1: one barrier gives one time", i, d)
		}
		lat, verified := completions(ctx, t, collector, dir+load.ResultsFile)
		if verified != len(lat) || uint64(len(lat)) != s.Generator.Sent {
			t.Errorf("shard %d: %d completions in its results, %d of them verified 200s, %d sent", i, len(lat), verified, s.Generator.Sent)
		}
		all = append(all, lat...)
	}
	if len(seen) != users {
		t.Errorf("the shards have %d users together, the run %d", len(seen), users)
	}
	if planned != whole.Planned() {
		t.Errorf("the shards planned %d completions together, the profile %d", planned, whole.Planned())
	}
	c := merged.Complete
	if c.Count != int64(len(all)) || c.Errors != 0 || c.Verified != c.Count {
		t.Errorf("merged completions: %d sent, %d errors, %d M2 verified; the shards' results hold %d", c.Count, c.Errors, c.Verified, len(all))
	}
	slices.Sort(all)
	for _, q := range []struct {
		name string
		p    float64
		got  load.Millis
	}{{"p50", 50, c.Latency.P50}, {"p90", 90, c.Latency.P90}, {"p99", 99, c.Latency.P99}, {"max", 100, c.Latency.Max}} {
		want := exactQuantile(all, q.p)
		// Three significant digits of a histogram in microseconds: 0.1 % and a
		// microsecond, and a little for the rounding of Millis.
		tol := max(float64(want)*0.002, float64(2*time.Microsecond))
		if diff := math.Abs(float64(time.Duration(q.got) - want)); diff > tol {
			t.Errorf("merged %s is %v; over all %d results it is %v", q.name, time.Duration(q.got), len(all), want)
		}
	}
	t.Logf("merged: %d completions planned and sent by %d shards, p50 %v p99 %v, all M2 verified",
		merged.Generator.Sent, shards, time.Duration(c.Latency.P50), time.Duration(c.Latency.P99))
}

// imagePresent reports whether the engine has the image (none is pulled here).
func imagePresent(ctx context.Context, t *testing.T, image string) bool {
	t.Helper()
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		t.Skipf("container test skipped: %v", err)
	}
	defer p.Close()
	_, err = p.Client().ImageInspect(ctx, image)
	return err == nil
}

// runContainer starts req on nw under alias and removes it when the test ends.
func runContainer(ctx context.Context, t *testing.T, nw *testcontainers.DockerNetwork, alias string, req testcontainers.ContainerRequest) testcontainers.Container {
	t.Helper()
	gr := testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true, Logger: tclog.NewNoopLogger()}
	if err := network.WithNetwork([]string{alias}, nw).Customize(&gr); err != nil {
		t.Fatal(err)
	}
	ctr, err := testcontainers.GenericContainer(ctx, gr)
	if ctr != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s's log:\n%s", alias, logsOf(context.WithoutCancel(ctx), ctr))
			}
			_ = ctr.Terminate(context.WithoutCancel(ctx))
		})
	}
	if err != nil {
		t.Fatalf("starting %s: %v", alias, err)
	}
	return ctr
}

// waitHTTP polls path on the container's mapped port until it answers 200, at the
// host testcontainers-go names and at the loopback address (see provider.Container).
func waitHTTP(ctx context.Context, t *testing.T, ctr testcontainers.Container, port, path string) {
	t.Helper()
	mp, err := ctr.MappedPort(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	hosts := []string{"127.0.0.1"}
	if h, err := ctr.Host(ctx); err == nil && h != "127.0.0.1" {
		hosts = append([]string{h}, hosts...)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, h := range hosts {
			res, err := http.Get("http://" + h + ":" + mp.Port() + path)
			if err == nil {
				_ = res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within a minute:\n%s", path, logsOf(ctx, ctr))
}

// waitExit waits until ctr has exited and returns its exit code.
func waitExit(ctx context.Context, t *testing.T, ctr testcontainers.Container, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st, err := ctr.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running {
			return st.ExitCode
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running after %v:\n%s", limit, logsOf(ctx, ctr))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func logsOf(ctx context.Context, ctr testcontainers.Container) string {
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// copyOut reads a file of a (possibly exited) container.
func copyOut(ctx context.Context, t *testing.T, ctr testcontainers.Container, path string) []byte {
	t.Helper()
	rc, err := ctr.CopyFileFromContainer(ctx, path)
	if err != nil {
		t.Fatalf("copying %s out of the container: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(ctx context.Context, t *testing.T, ctr testcontainers.Container, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(copyOut(ctx, t, ctr, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// completions decodes a results file (vegeta's gob encoding) and returns the
// latency of every completion and how many were 200s without an error: a
// completion is a success only when its M2 verified (load.SeriesSummary.Verified).
func completions(ctx context.Context, t *testing.T, ctr testcontainers.Container, path string) ([]time.Duration, int) {
	t.Helper()
	dec := vegeta.NewDecoder(bytes.NewReader(copyOut(ctx, t, ctr, path)))
	var lat []time.Duration
	ok := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		lat = append(lat, r.Latency)
		if r.Code == http.StatusOK && r.Error == "" {
			ok++
		}
	}
	return lat, ok
}

// exactQuantile is the nearest-rank p-th percentile of sorted.
func exactQuantile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(k, 1), len(sorted))-1]
}
