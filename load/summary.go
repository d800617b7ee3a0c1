package load

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seedb14f67b8/renewkit/version"
)

// Summary is the outcome of a run, or of a merge of several: what summary.json
// holds and what the reports show.
type Summary struct {
	Profile string `json:"profile"`
	RunID   string `json:"runId,omitempty"`
	// Shard is "i/n" for one shard of a sharded run, empty for a whole run or a
	// merge.
	Shard  string `json:"shard,omitempty"`
	Target string `json:"target,omitempty"`
	Policy string `json:"policy,omitempty"`
	// Users is the number of users this run (or these shards) renewed with.
	Users   int       `json:"users"`
	Started time.Time `json:"started"`
	// AttackSeconds is the length of the attack: the scheduled phases, without
	// setup and precomputation. Rates are per second of it.
	AttackSeconds float64 `json:"attackSeconds"`
	// RequestedRate is the completions the schedule planned per second of attack;
	// Requested is the planned rate over time, sampled along each phase.
	RequestedRate float64     `json:"requestedRate"`
	Requested     []RatePoint `json:"requested,omitempty"`
	// WindowSeconds is the width of one timeline point.
	WindowSeconds float64       `json:"windowSeconds"`
	Generator     Generator     `json:"generator"`
	Start         SeriesSummary `json:"start"`
	Complete      SeriesSummary `json:"complete"`
	// Steps and Saturation are the search of the max profile.
	Steps      []Step      `json:"steps,omitempty"`
	Saturation *Saturation `json:"saturation,omitempty"`
	CPU        *CPU        `json:"cpu,omitempty"`
	// Floors is the SRP work of one renewal, measured at the start of the run.
	Floors     *Floors   `json:"floors,omitempty"`
	Thresholds []Verdict `json:"thresholds"`
	// Passed is true when the run finished and every threshold passed.
	Passed bool `json:"passed"`
	// Verdict is PASS, FAIL or INTERRUPTED. An interrupted run (or a merge of
	// one) gives no verdict: its thresholds are computed over what was measured,
	// but Passed is false and the reports say INTERRUPTED.
	Verdict string `json:"verdict"`
	// Interrupted is set when the run was cut short (SIGINT, SIGTERM), or a merged
	// shard was.
	Interrupted bool `json:"interrupted,omitempty"`
	// Sources lists the inputs of a merge, and Shards what each input's summary
	// says of its part: a shard that fell behind shows here, not in the sum.
	Sources []string     `json:"sources,omitempty"`
	Shards  []ShardShare `json:"shards,omitempty"`
	// StartAt is the synchronized start the run was given, and ClockSkew how far
	// the target's clock was from this generator's then.
	StartAt   time.Time  `json:"startAt,omitzero"`
	ClockSkew *ClockSkew `json:"clockSkew,omitempty"`
	// Version is the renewkit build and SPEC revision; Command the command line.
	Version version.Info `json:"version"`
	Command []string     `json:"command,omitempty"`
}

// The verdicts of a load run.
const (
	VerdictPass        = "PASS"
	VerdictFail        = "FAIL"
	VerdictInterrupted = "INTERRUPTED"
)

// judge sets Thresholds, Passed and Verdict from ts: an interrupted summary is
// never PASS or FAIL.
func (s *Summary) judge(ts []Threshold) {
	s.Thresholds, s.Passed = CheckAll(ts, s)
	switch {
	case s.Interrupted:
		s.Passed, s.Verdict = false, VerdictInterrupted
	case s.Passed:
		s.Verdict = VerdictPass
	default:
		s.Verdict = VerdictFail
	}
}

// Generator is what the load generator itself did, for judging whether the run
// measured the deployment or the generator.
type Generator struct {
	// Planned is the completions the schedule planned; Sent those actually sent.
	Planned uint64 `json:"planned"`
	Sent    uint64 `json:"sent"`
	// Starved counts pacer ticks that found no completion ready (the producer fell
	// behind, or every user was busy). No request was sent for them.
	Starved uint64 `json:"starved"`
	// Dropped counts planned sends never made because the pacer was still behind
	// when the schedule ended.
	Dropped uint64 `json:"dropped"`
	// Late counts completions sent more than LateAfter after their intended time;
	// SendLag is the distribution of that delay.
	Late      uint64  `json:"late"`
	LateAfter Millis  `json:"lateAfterMs"`
	SendLag   Latency `json:"sendLag"`
	// EphemeralsOnDemand and SecretsOnDemand count precomputed work that ran out
	// and was done during the attack instead.
	EphemeralsOnDemand uint64 `json:"ephemeralsOnDemand"`
	SecretsOnDemand    uint64 `json:"secretsOnDemand"`
	// Renewed counts completions the server accepted (status 200).
	Renewed uint64 `json:"renewed"`
	// ResolvedUsers counts unanswered completions whose outcome was then
	// established by an authentication; RetiredUsers those that could not be, whose
	// users sat out the rest of the run.
	ResolvedUsers uint64 `json:"resolvedUsers"`
	RetiredUsers  uint64 `json:"retiredUsers"`
	// SetupSeconds is the time spent creating and registering users.
	SetupSeconds float64 `json:"setupSeconds"`
}

// CPU is CPU time per completion over the attack windows (setup and the
// precomputation between phases excluded): the generator's own, from getrusage,
// and with a server PID the server's, from /proc/PID/stat.
type CPU struct {
	Completions            uint64  `json:"completions"`
	GeneratorSeconds       float64 `json:"generatorSeconds"`
	GeneratorPerCompletion Millis  `json:"generatorPerCompletionMs"`
	ServerPID              int     `json:"serverPid,omitempty"`
	ServerSeconds          float64 `json:"serverSeconds,omitempty"`
	ServerPerCompletion    Millis  `json:"serverPerCompletionMs,omitempty"`
	// Ratio is generator CPU per completion over the server's.
	Ratio float64 `json:"ratio,omitempty"`
	// GeneratorFloorMultiple and ServerFloorMultiple are the CPU per completion
	// as multiples of the SRP floor (Summary.Floors): the generator's over its
	// whole SRP work (what it makes ahead included), the server's over its own.
	GeneratorFloorMultiple float64 `json:"generatorFloorMultiple,omitempty"`
	ServerFloorMultiple    float64 `json:"serverFloorMultiple,omitempty"`
}

// ShardShare is one merged input's part of a run, from its summary.
type ShardShare struct {
	Source string `json:"source"`
	Shard  string `json:"shard,omitempty"`
	Users  int    `json:"users"`
	// RequestedRate and Rate are completions planned and sent per second of the
	// shard's attack; Success and P99 those of its completions.
	RequestedRate float64 `json:"requestedRate"`
	Rate          float64 `json:"rate"`
	Success       float64 `json:"success"`
	P99           Millis  `json:"p99Ms"`
	Verdict       string  `json:"verdict"`
}

// RatePoint is a requested rate at T seconds since the run's origin.
type RatePoint struct {
	T    float64 `json:"t"`
	Rate float64 `json:"rate"`
}

// Step is one constant-rate step of the saturation search.
type Step struct {
	// Rate is the requested rate; Achieved the completions sent per second;
	// Throughput the successful ones per second.
	Rate       float64 `json:"rate"`
	Achieved   float64 `json:"achieved"`
	Throughput float64 `json:"throughput"`
	Success    float64 `json:"success"`
	// BeganSeconds is when the step began, in seconds since the run's origin, and
	// Seconds how long it ran: the step's place on the report's charts.
	BeganSeconds float64 `json:"beganSeconds"`
	Seconds      float64 `json:"seconds"`
	P50          Millis  `json:"p50Ms"`
	P99          Millis  `json:"p99Ms"`
	Max          Millis  `json:"maxMs"`
	// StartP99 is the p99 of the step's start requests.
	StartP99 Millis `json:"startP99Ms"`
	Planned  uint64 `json:"planned"`
	Sent     uint64 `json:"sent"`
	Starved  uint64 `json:"starved"`
	Dropped  uint64 `json:"dropped"`
	Late     uint64 `json:"late"`
	CPU      *CPU   `json:"cpu,omitempty"`
	// Held is true when the step met every hold; Broke lists what it broke.
	Held  bool     `json:"held"`
	Broke []string `json:"broke,omitempty"`
}

// Saturation is the result of the search.
type Saturation struct {
	// Rate is the requested rate of the last step that held (0 if none did) and
	// Throughput its successful completions per second: the saturation point.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	// PeakThroughput is the most successful completions per second of any step.
	PeakThroughput float64 `json:"peakThroughput"`
	// Stopped says why the search ended.
	Stopped string `json:"stopped"`
	// GeneratorBound is true when the search ended because the generator could
	// not keep up while the deployment still answered starts quickly: the result
	// then bounds the generator, not the deployment.
	GeneratorBound bool `json:"generatorBound"`
}

// Series returns the summary of one series, or nil for an unknown name.
func (s *Summary) Series(name Series) *SeriesSummary {
	switch name {
	case SeriesStart:
		return &s.Start
	case SeriesComplete:
		return &s.Complete
	}
	return nil
}

// ReadSummary reads a summary.json.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("load: %s: %w", path, err)
	}
	return &s, nil
}

// WriteReports writes summary.json and report.html into dir.
func WriteReports(dir string, s *Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("load: report dir: %w", err)
	}
	b, err := jsonIndent(s)
	if err != nil {
		return fmt.Errorf("load: encoding summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("load: writing summary: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, ReportFile))
	if err != nil {
		return fmt.Errorf("load: writing report: %w", err)
	}
	if err := WriteHTML(f, s); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("load: writing report: %w", err)
	}
	return nil
}
