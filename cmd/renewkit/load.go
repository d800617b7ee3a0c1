package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/load"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

// Exit codes of renewkit load: 0 every threshold met, 1 the run could not be
// carried out, 2 a usage error, 3 a threshold breached.
const exitThresholds = 3

// exitMergedInterrupted is load merge's status when a shard it merged was cut short.
const exitMergedInterrupted = 4

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

const loadSynopsis = `load [flags]                 attack a deployment along a load profile
       renewkit load merge [flags] INPUT...   combine the results of several shards
       renewkit load merge --listen ADDR --shards N   collect them: the start barrier and uploads
       renewkit load profiles [NAME]          list the built-in profiles, or print one

Every flag may also come from the environment: RENEWKIT_LOAD_<FLAG> (for merge,
RENEWKIT_LOAD_MERGE_<FLAG>), else RENEWKIT_<FLAG>; the command line wins. A
repeatable flag's variable holds one value per line.

Exit status: 0 all thresholds met, 1 run failed, 2 usage error, 3 threshold breached,
4 (merge) a merged shard was interrupted, 130/143 interrupted by SIGINT/SIGTERM: the
reports say INTERRUPTED and give no verdict.`

// runLoad is `renewkit load`.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "merge":
			return runLoadMerge(ctx, args[1:], stdout, stderr)
		case "profiles":
			return runLoadProfiles(args[1:], stdout, stderr)
		}
	}
	fs := newFlags("load", loadSynopsis, stderr)
	profile := fs.String("profile", "smoke", "built-in profile: "+strings.Join(load.ProfileNames(), ", "))
	profileFile := fs.String("profile-file", "", "a profile YAML file to use instead of a built-in one")
	rate := fs.Float64("rate", 0, "peak completions per second, all shards together (scales the profile; for max: the highest step)")
	duration := fs.Duration("duration", 0, "length of the attack (scales the profile's stages; for max: each step)")
	users := fs.Int("users", 0, "number of users, all shards together")
	policy := fs.String("policy", "", `passcode policy of the renewals (default: the profile's, usually "standard")`)
	targetSpec := fs.String("target", "", "server URL (loaded with the reference fixtures) or target YAML file (default: the reference server in this process, memory store)")
	var img imageFlags
	img.register(fs)
	var thresholds stringList
	fs.Var(&thresholds, "threshold", "pass/fail condition, repeatable, replacing the profile's, e.g. 'complete.p99<250ms' or 'success>=0.999'")
	reportDir := fs.String("report-dir", filepath.Join("reports", "load"), "where results.bin, start.bin, summary.json and report.html go (\"\" for none)")
	shard := fs.String("shard", "", "this generator's share i/n of a run carried by n generators; job/n in a Kubernetes Indexed Job (i is JOB_COMPLETION_INDEX+1)")
	collector := fs.String("collector", "", "base URL of the run's collector (renewkit load merge --listen): wait at its start barrier for every shard, then upload the reports to it")
	runID := fs.String("run-id", "", "names the run's users (default: random)")
	timeout := fs.Duration("timeout", load.DefaultTimeout, "timeout of each request")
	lateAfter := fs.Duration("late-after", load.DefaultLateAfter, "a completion sent later than this after its intended time counts as late")
	serverPID := fs.Int("server-pid", 0, "measure this local process's CPU time per completion beside the generator's (Linux)")
	producers := fs.Int("producers", 0, "producer goroutines that start renewals (default: from the peak rate)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	var startAt time.Time
	fs.Func("start-at", "begin the attack at this time (RFC 3339, e.g. 2026-12-02T10:00:00Z): give every shard of a run the same one", func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("want an RFC 3339 time such as 2026-12-02T10:00:00Z")
		}
		startAt = t
		return nil
	})
	maxSkew := fs.Duration("max-clock-skew", load.DefaultMaxClockSkew, "with --start-at: refuse to start when this host's clock is further than this from the target's")
	env, err := parseWithEnv(fs, "load", args, stderr)
	if err != nil {
		return err
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "renewkit load: "+format+"\n", a...)
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return usage("unexpected arguments %q", fs.Args())
	}

	var prof *load.Profile
	if *profileFile != "" {
		prof, err = load.ReadProfile(*profileFile)
	} else {
		prof, err = load.BuiltinProfile(*profile)
	}
	if err != nil {
		return usage("%v", err)
	}
	if prof, err = prof.With(load.Overrides{Rate: *rate, Duration: *duration, Users: *users, Policy: *policy}); err != nil {
		return usage("%v", err)
	}
	var ths []load.Threshold
	if len(thresholds) > 0 {
		if ths, err = load.ParseThresholds(thresholds); err != nil {
			return usage("%v", err)
		}
	}
	var sh load.Shard
	if *shard != "" {
		spec, err := jobShard(*shard, os.LookupEnv)
		if err != nil {
			return usage("--shard: %v", err)
		}
		if sh, err = load.ParseShard(spec); err != nil {
			return usage("%v", err)
		}
	}
	if *collector != "" {
		switch {
		case !strings.HasPrefix(*collector, "http://") && !strings.HasPrefix(*collector, "https://"):
			return usage("--collector %q: want the collector's base URL, http://host:port", *collector)
		case !startAt.IsZero():
			return usage("--collector names the start time itself: give --collector or --start-at, not both")
		case *runID == "":
			return usage("--collector: give every shard of the run the same --run-id (in Kubernetes, the Job's name)")
		case *reportDir == "":
			return usage("--collector: the reports are uploaded from --report-dir, so it cannot be \"\"")
		}
	}

	image, err := img.image()
	if err != nil {
		return usage("%v", err)
	}
	if *producers < 0 || *users < 0 || *rate < 0 || *duration < 0 {
		return usage("--producers, --users, --rate and --duration cannot be negative")
	}
	if err := writableDir(*reportDir); err != nil {
		return usage("--report-dir: %v", err)
	}
	// testcontainers-go would print a banner of Docker details on stderr.
	provider.QuietContainers()
	open := provider.OpenOptions{Spec: *targetSpec, Image: image, Progress: stderr,
		SessionTTL: refserver.DefaultSessionTTL}
	if *reportDir != "" {
		open.LogFile = filepath.Join(*reportDir, containerLog)
	}
	tgt, stop, err := openLoadTarget(ctx, open)
	if err != nil && ctx.Err() != nil {
		if *reportDir != "" {
			if werr := load.WriteReports(*reportDir, load.InterruptedBeforeRun(prof.Name, *targetSpec, commandLine(env))); werr != nil {
				fmt.Fprintf(stderr, "renewkit load: %v\n", werr)
			}
		}
		uploadShard(*collector, sh, *reportDir, !*quiet, stderr)
		fmt.Fprintf(stderr, "renewkit load: %v before the attack began: the reports say INTERRUPTED and give no verdict\n", context.Cause(ctx))
		return exitError{interruptStatus(ctx)}
	}
	if err != nil {
		if errors.Is(err, sut.ErrInvalid) {
			return usage("%v", err)
		}
		return containerError(err)
	}
	defer stop()

	cfg := load.Config{
		Target: tgt, Profile: prof, Thresholds: ths, Shard: sh, RunID: *runID, ReportDir: *reportDir,
		Timeout: *timeout, LateAfter: *lateAfter, ServerPID: *serverPID, Producers: *producers,
		Command: commandLine(env), StartAt: startAt, MaxClockSkew: *maxSkew, Collector: *collector,
	}
	if !*quiet {
		cfg.Progress = stderr
		cfg.Interactive = load.IsTerminal(stderr)
	}
	if !*quiet {
		where := tgt.BaseURL
		switch {
		case image.Name != "":
			where += " (container " + image.Name + ")"
		case *targetSpec == "":
			where += " (in-process reference server)"
		}
		fmt.Fprintf(stderr, "load: profile %s, %d users, %s planned, target %s\n", prof.Name, prof.Users, prof.Duration(), where)
	}
	s, err := load.Run(ctx, cfg)
	if s != nil {
		if werr := load.WriteText(stdout, s); werr != nil && err == nil {
			err = werr
		}
		if *reportDir != "" {
			fmt.Fprintf(stdout, "report: %s\n", filepath.Join(*reportDir, load.ReportFile))
		}
		if !uploadShard(*collector, sh, *reportDir, !*quiet, stderr) && err == nil {
			return exitError{1}
		}
	}
	if errors.Is(err, load.ErrInterrupted) {
		fmt.Fprintf(stderr, "renewkit load: %v: the reports say INTERRUPTED and give no verdict\n", context.Cause(ctx))
		return exitError{interruptStatus(ctx)}
	}
	if err != nil {
		return err
	}
	if !s.Passed {
		return exitError{exitThresholds}
	}
	return nil
}

// openLoadTarget starts or names the target. With nothing named it runs the
// reference server in this process with the server's default session lifetime (not
// the conformance suite's short one: a loaded generator may hold a session in its
// queue for a while); o.SessionTTL does the same for the reference image in a
// container.
func openLoadTarget(ctx context.Context, o provider.OpenOptions) (*sut.Target, func(), error) {
	var prov sut.Provider
	if o.Spec == "" && o.Image.Name == "" {
		prov = provider.NewInProcess(provider.InProcessOptions{SessionTTL: refserver.DefaultSessionTTL})
	} else {
		p, err := provider.OpenWith(o)
		if err != nil {
			return nil, nil, err
		}
		prov = p
	}
	t, err := prov.Start(ctx)
	if err != nil {
		_ = prov.Stop(context.Background())
		return nil, nil, err
	}
	return t, func() { _ = prov.Stop(context.Background()) }, nil
}

// jobShard turns --shard job/n into i/n, i being the pod's JOB_COMPLETION_INDEX
// (counted from 0) plus one; any other value is returned as it is.
func jobShard(spec string, lookup func(string) (string, bool)) (string, error) {
	n, ok := strings.CutPrefix(spec, "job/")
	if !ok {
		return spec, nil
	}
	v, set := lookup("JOB_COMPLETION_INDEX")
	idx, err := strconv.Atoi(v)
	if !set || err != nil || idx < 0 {
		return "", fmt.Errorf("%q takes this pod's index from JOB_COMPLETION_INDEX, which is %q: run it in a Kubernetes Job with completionMode: Indexed, or give i/n", spec, v)
	}
	return fmt.Sprintf("%d/%s", idx+1, n), nil
}

// uploadShard sends a shard's reports to its collector, when it has one, and says
// whether that worked (true with no collector). An interrupted shard uploads too:
// the merge then says INTERRUPTED instead of waiting for it.
func uploadShard(collector string, sh load.Shard, dir string, say bool, stderr io.Writer) bool {
	if collector == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := load.Upload(ctx, collector, sh, dir); err != nil {
		fmt.Fprintf(stderr, "renewkit load: %v\n", err)
		return false
	}
	if say {
		fmt.Fprintf(stderr, "load: reports uploaded to the collector %s\n", collector)
	}
	return true
}

// runLoadMerge is `renewkit load merge`: of the inputs named, or, with --listen,
// of what the shards of a distributed run upload to it.
func runLoadMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("load merge", "load merge [flags] INPUT...\n       renewkit load merge --listen ADDR --shards N [flags]\n\nINPUT is a shard's report directory, a results file or a summary.json. With --listen,\nthe shards (renewkit load --collector URL) wait at this collector's start barrier and\nupload their reports to it; the merge runs once all N have.", stderr)
	reportDir := fs.String("report-dir", filepath.Join("reports", "load-merged"), "where the merged results, summary.json and report.html go (\"\" for none); with --listen, the shards' uploads go to its shards/")
	var thresholds stringList
	fs.Var(&thresholds, "threshold", "pass/fail condition, repeatable (default: the shards' thresholds)")
	listen := fs.String("listen", "", "serve as the collector of a distributed run at this address, e.g. :8090")
	shards := fs.Int("shards", 0, "with --listen: the number of shards of the run")
	lead := fs.Duration("lead", load.DefaultStartLead, "with --listen: the time from the last shard's arrival at the barrier to the start")
	wait := fs.Duration("wait", time.Hour, "with --listen: how long to wait for every shard's reports before giving up")
	linger := fs.Duration("linger", 0, "with --listen: keep serving the merged reports (GET /v1/report/report.html) this long after the merge")
	if _, err := parseWithEnv(fs, "load merge", args, stderr); err != nil {
		return err
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "renewkit load merge: "+format+"\n", a...)
		return exitError{2}
	}
	switch {
	case *listen == "" && fs.NArg() == 0:
		return usage("name at least one shard's report directory or results file, or --listen for them")
	case *listen != "" && fs.NArg() > 0:
		return usage("--listen collects the inputs itself: name no INPUT (got %q)", fs.Args())
	case *listen != "" && *shards < 1:
		return usage("--listen needs --shards N, the number of shards of the run")
	case *listen != "" && *reportDir == "":
		return usage("--listen keeps the shards' uploads under --report-dir, so it cannot be \"\"")
	case *listen == "" && fs.NFlag() > 0 && (isFlagSet(fs, "shards") || isFlagSet(fs, "lead") || isFlagSet(fs, "wait") || isFlagSet(fs, "linger")):
		return usage("--shards, --lead, --wait and --linger go with --listen")
	}
	var ths []load.Threshold
	if len(thresholds) > 0 {
		var err error
		if ths, err = load.ParseThresholds(thresholds); err != nil {
			return usage("%v", err)
		}
	}
	inputs := fs.Args()
	var col *load.Collector
	if *listen != "" {
		// The collector's handlers write their lines from their own goroutines.
		stderr = &lockedWriter{w: stderr}
		var stop func()
		var err error
		col, stop, err = serveCollector(ctx, *listen, *shards, filepath.Join(*reportDir, "shards"), *lead, *wait, stderr)
		if err != nil {
			if ctx.Err() != nil {
				if werr := load.WriteReports(*reportDir, load.InterruptedBeforeRun("merged", "", nil)); werr != nil {
					fmt.Fprintf(stderr, "renewkit load merge: %v\n", werr)
				}
				fmt.Fprintf(stderr, "renewkit load merge: %v before every shard uploaded: the reports say INTERRUPTED and give no verdict\n", context.Cause(ctx))
				return exitError{interruptStatus(ctx)}
			}
			return err
		}
		defer stop()
		inputs = col.ShardDirs()
	}
	s, err := load.Merge(inputs, load.MergeOptions{Thresholds: ths, ReportDir: *reportDir})
	if err != nil {
		return err
	}
	if err := load.WriteText(stdout, s); err != nil {
		return err
	}
	if *reportDir != "" {
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(*reportDir, load.ReportFile))
	}
	if col != nil {
		col.Merged(s, *reportDir)
		if *linger > 0 {
			fmt.Fprintf(stderr, "collector: serving the merged reports at /v1/report/%s for %v\n", load.ReportFile, *linger)
			select {
			case <-ctx.Done():
			case <-time.After(*linger):
			}
		}
	}
	if s.Interrupted {
		fmt.Fprintln(stderr, "renewkit load merge: a merged shard was interrupted: the reports say INTERRUPTED and give no verdict")
		return exitError{exitMergedInterrupted}
	}
	if !s.Passed {
		return exitError{exitThresholds}
	}
	return nil
}

// serveCollector serves a distributed run's collector at addr until every shard
// has uploaded its reports, or wait has passed, or ctx ends. It returns the
// collector, still serving (GET /v1/status and /v1/report/ answer until stop).
func serveCollector(ctx context.Context, addr string, shards int, dir string, lead, wait time.Duration, stderr io.Writer) (*load.Collector, func(), error) {
	col, err := load.NewCollector(shards, dir, lead, stderr)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("load merge: --listen: %w", err)
	}
	srv := &http.Server{Handler: col, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	fmt.Fprintf(stderr, "collector: listening on %s for %d shards (renewkit load --collector http://THIS-HOST:%d --shard i/%d)\n",
		ln.Addr(), shards, ln.Addr().(*net.TCPAddr).Port, shards)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-col.Complete():
		fmt.Fprintf(stderr, "collector: every shard has uploaded; merging\n")
		return col, stop, nil
	case <-ctx.Done():
		stop()
		return nil, nil, ctx.Err()
	case <-timer.C:
		stop()
		return nil, nil, fmt.Errorf("load merge: %v passed and not every shard uploaded its reports (see the collector's lines above, or raise --wait)", wait)
	}
}

// lockedWriter serializes the writes of several goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runLoadProfiles is `renewkit load profiles [NAME]`.
func runLoadProfiles(args []string, stdout, stderr io.Writer) error {
	switch len(args) {
	case 0:
		for _, n := range load.ProfileNames() {
			p, err := load.BuiltinProfile(n)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%-7s %s\n", n, p.Description)
		}
		return nil
	case 1:
		src, err := load.BuiltinProfileYAML(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "renewkit load profiles: %v\n", err)
			return exitError{2}
		}
		_, err = stdout.Write(src)
		return err
	}
	fmt.Fprintln(stderr, "usage: renewkit load profiles [NAME]")
	return exitError{2}
}
