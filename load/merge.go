package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/version"
)

// ErrMerge means the inputs of a merge cannot be combined.
var ErrMerge = errors.New("load: cannot merge")

// MergeOptions tune Merge.
type MergeOptions struct {
	// Thresholds gate the merged run; when nil, the thresholds the inputs'
	// summaries were checked against (deduplicated).
	Thresholds []Threshold
	// ReportDir, when set, receives the merged results files (results.bin,
	// start.bin), summary.json and report.html.
	ReportDir string
}

// Merge combines the results of several generators (the shards of one run) into one
// summary. Each input is a report directory (its results.bin, plus start.bin and
// summary.json when present), a results file, or a summary.json. Results carry
// their series in vegeta's Attack field, so any mix of files works; the summaries
// contribute what results files cannot hold: planned sends, starved and dropped
// ticks, and the attack's length (shards run side by side, so the longest counts).
//
// Latency percentiles are recomputed from every result, never averaged. The
// search steps of max-profile shards are not combined; each shard's summary keeps
// its own.
func Merge(inputs []string, opts MergeOptions) (*Summary, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", ErrMerge)
	}
	var files []string
	var sums []*Summary
	var sumSources []string // the input each summary came from
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMerge, err)
		}
		switch {
		case st.IsDir():
			res := filepath.Join(in, ResultsFile)
			switch {
			case exists(res):
				files = append(files, res)
			case !exists(filepath.Join(in, SummaryFile)):
				return nil, fmt.Errorf("%w: %s has no %s", ErrMerge, in, ResultsFile)
			}
			// A shard cut short before its attack leaves a summary alone.
			if start := filepath.Join(in, StartResultsFile); exists(start) {
				files = append(files, start)
			}
			if sum := filepath.Join(in, SummaryFile); exists(sum) {
				s, err := ReadSummary(sum)
				if err != nil {
					return nil, err
				}
				sums, sumSources = append(sums, s), append(sumSources, in)
			}
		case strings.HasSuffix(in, ".json"):
			s, err := ReadSummary(in)
			if err != nil {
				return nil, err
			}
			sums, sumSources = append(sums, s), append(sumSources, in)
		default:
			files = append(files, in)
		}
	}
	if len(files) == 0 {
		// Shards all cut short before their attacks: the run has no verdict.
		for _, s := range sums {
			if s.Interrupted {
				out := InterruptedBeforeRun(s.Profile, s.Target, nil)
				out.Sources, out.RunID = inputs, s.RunID
				if opts.ReportDir != "" {
					if err := WriteReports(opts.ReportDir, out); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
		}
		return nil, fmt.Errorf("%w: no results files among the inputs", ErrMerge)
	}

	// First pass: the time span, for the timeline's origin and width.
	var first, last time.Time
	for _, f := range files {
		err := ReadResults(f, func(r *vegeta.Result) error {
			if first.IsZero() || r.Timestamp.Before(first) {
				first = r.Timestamp
			}
			if e := r.End(); e.After(last) {
				last = e
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	span := last.Sub(first)

	out := &Summary{Sources: inputs, Started: first}
	lateAfter := DefaultLateAfter
	var attack time.Duration
	var thresholdExprs []string
	seen := map[string]bool{}
	for i, s := range sums {
		if i == 0 {
			out.Profile, out.RunID, out.Target, out.Policy = s.Profile, s.RunID, s.Target, s.Policy
			lateAfter = time.Duration(s.Generator.LateAfter)
		}
		if s.Profile != out.Profile {
			out.Profile = "merged"
		}
		if s.RunID != out.RunID {
			out.RunID = ""
		}
		if s.Target != out.Target {
			out.Target = ""
		}
		out.Users += s.Users
		out.Shards = append(out.Shards, ShardShare{Source: sumSources[i], Shard: s.Shard, Users: s.Users,
			RequestedRate: s.RequestedRate, Rate: s.Complete.Rate, Success: s.Complete.Success,
			P99: s.Complete.Latency.P99, Verdict: s.Verdict})
		// A shard cut short makes the whole run's verdict unknown.
		out.Interrupted = out.Interrupted || s.Interrupted
		// The shards of one run share a schedule, each at its share of the rate:
		// the run's requested rate is their sum, where the samples line up.
		switch {
		case i == 0:
			out.Requested = append([]RatePoint(nil), s.Requested...)
		case len(s.Requested) == len(out.Requested):
			for j, rp := range s.Requested {
				out.Requested[j].Rate += rp.Rate
			}
		default:
			out.Requested = nil
		}
		attack = max(attack, time.Duration(s.AttackSeconds*float64(time.Second)))
		g := &out.Generator
		g.Planned += s.Generator.Planned
		g.Starved += s.Generator.Starved
		g.Dropped += s.Generator.Dropped
		g.EphemeralsOnDemand += s.Generator.EphemeralsOnDemand
		g.SecretsOnDemand += s.Generator.SecretsOnDemand
		g.Renewed += s.Generator.Renewed
		g.ResolvedUsers += s.Generator.ResolvedUsers
		g.RetiredUsers += s.Generator.RetiredUsers
		g.SetupSeconds = max(g.SetupSeconds, s.Generator.SetupSeconds)
		for _, v := range s.Thresholds {
			if !seen[v.Threshold] {
				seen[v.Threshold] = true
				thresholdExprs = append(thresholdExprs, v.Threshold)
			}
		}
	}
	if out.Profile == "" {
		out.Profile = "merged"
	}
	if attack == 0 {
		attack = span
	}
	window := windowFor(span)
	rec := newRecorder(first, window, lateAfter)
	if opts.ReportDir != "" {
		if err := os.MkdirAll(opts.ReportDir, 0o755); err != nil {
			return nil, fmt.Errorf("load: report dir: %w", err)
		}
		for series, name := range map[Series]string{SeriesComplete: ResultsFile, SeriesStart: StartResultsFile} {
			path := filepath.Join(opts.ReportDir, name)
			for _, f := range files {
				if same(f, path) {
					return nil, fmt.Errorf("%w: the report dir would overwrite input %s", ErrMerge, f)
				}
			}
			w, err := createResults(path)
			if err != nil {
				return nil, err
			}
			rec.files[series] = w
		}
	}
	for _, f := range files {
		if err := ReadResults(f, func(r *vegeta.Result) error { rec.add(r); return nil }); err != nil {
			return nil, err
		}
	}
	for _, w := range rec.files {
		if err := w.close(); err != nil {
			return nil, err
		}
	}
	if rec.writeErr != nil {
		return nil, rec.writeErr
	}

	out.AttackSeconds = attack.Seconds()
	out.WindowSeconds = window.Seconds()
	out.Start = rec.start.summary(attack)
	out.Complete = rec.complete.summary(attack)
	if attack > 0 {
		out.RequestedRate = float64(out.Generator.Planned) / attack.Seconds()
	}
	out.Generator.Sent = uint64(rec.complete.count)
	out.Generator.Late = uint64(rec.complete.late)
	out.Generator.LateAfter = Millis(lateAfter)
	out.Generator.SendLag = latencyOf(rec.complete.lag)

	thresholds := opts.Thresholds
	if thresholds == nil {
		var err error
		if thresholds, err = ParseThresholds(thresholdExprs); err != nil {
			return nil, err
		}
	}
	out.Version = version.Get()
	out.judge(thresholds)
	if opts.ReportDir != "" {
		if err := WriteReports(opts.ReportDir, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
