package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// A distributed run has n shards on as many machines (the pods of a Kubernetes
// Indexed Job) and one collector, `renewkit load merge --listen`. Each shard sets
// up its users, then reports ready at the collector's start barrier; once all n
// have, the collector names a start time a little ahead, in its own clock, and
// every shard begins its attack then, in its clock corrected by the difference it
// measured. After its attack each shard uploads its report directory, and when all
// n have, the collector merges them. The protocol, on the collector:
//
//	POST /v1/shards/{i}/ready    {"shards": n, "runId": "..."}  202 waiting, 200 start
//	PUT  /v1/shards/{i}/{file}   results.bin, start.bin, then summary.json (last)
//	GET  /v1/status              who is ready, who has uploaded, the verdict once merged
//	GET  /v1/report/{file}       the merged reports, once merged
//
// Every answer is JSON; an error is {"error": "..."} with a 4xx status.

// The files a shard uploads, summary.json last: its arrival completes the shard.
var uploadFiles = []string{ResultsFile, StartResultsFile, SummaryFile}

// DefaultStartLead is how long after the last shard reports ready the collector
// starts the run: time for its answer to reach every shard.
const DefaultStartLead = 2 * time.Second

// maxUpload bounds one uploaded file. A results file holds about 100 bytes per
// request: 1 GiB is hours at thousands per second.
const maxUpload = 1 << 30

// barrierAnswer is the collector's answer at the start barrier.
type barrierAnswer struct {
	Ready  int `json:"ready"`
	Shards int `json:"shards"`
	// StartAt is when the attack begins, on the collector's clock; zero while
	// shards are missing.
	StartAt time.Time `json:"startAt,omitzero"`
	// Now is the collector's clock when it answered.
	Now time.Time `json:"now"`
}

// barrierRequest is a shard's report at the start barrier.
type barrierRequest struct {
	Shards int    `json:"shards"`
	RunID  string `json:"runId,omitempty"`
}

// CollectorStatus is GET /v1/status.
type CollectorStatus struct {
	Shards   int       `json:"shards"`
	Ready    []int     `json:"ready"`
	Uploaded []int     `json:"uploaded"`
	StartAt  time.Time `json:"startAt,omitzero"`
	// Verdict is the merged run's, once every shard has uploaded.
	Verdict string `json:"verdict,omitempty"`
}

// Collector is the collector of a distributed run: an http.Handler for the
// protocol above. Shard i's uploads go to Dir/shard-i.
type Collector struct {
	shards   int
	dir      string
	lead     time.Duration
	progress io.Writer

	mu       sync.Mutex
	runID    string
	ready    map[int]bool
	uploaded map[int]bool
	startAt  time.Time
	complete chan struct{} // closed when every shard has uploaded its summary
	merged   *Summary
	report   string // the merged report directory, once merged
	mux      *http.ServeMux
}

// NewCollector returns a collector for a run of shards shards that keeps their
// uploads under dir. lead is the time between the last shard's arrival at the
// barrier and the start (DefaultStartLead when zero); progress, when not nil,
// gets a line per event.
func NewCollector(shards int, dir string, lead time.Duration, progress io.Writer) (*Collector, error) {
	if shards < 1 {
		return nil, fmt.Errorf("%w: a run has at least one shard, not %d", ErrShard, shards)
	}
	if lead <= 0 {
		lead = DefaultStartLead
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("load: collector dir: %w", err)
	}
	c := &Collector{shards: shards, dir: dir, lead: lead, progress: progress,
		ready: map[int]bool{}, uploaded: map[int]bool{}, complete: make(chan struct{}), mux: http.NewServeMux()}
	c.mux.HandleFunc("POST /v1/shards/{i}/ready", c.handleReady)
	c.mux.HandleFunc("PUT /v1/shards/{i}/{file}", c.handleUpload)
	c.mux.HandleFunc("GET /v1/status", c.handleStatus)
	c.mux.HandleFunc("GET /v1/report/{file}", c.handleReport)
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		collectorError(w, http.StatusNotFound, "no such collector endpoint: "+r.Method+" "+r.URL.Path)
	})
	return c, nil
}

func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Complete is closed once every shard has uploaded its summary.
func (c *Collector) Complete() <-chan struct{} { return c.complete }

// ShardDirs are the shards' upload directories, in shard order: Merge's inputs.
func (c *Collector) ShardDirs() []string {
	dirs := make([]string, c.shards)
	for i := range dirs {
		dirs[i] = c.shardDir(i + 1)
	}
	return dirs
}

// Merged records the merged run, whose reports are in dir (none when ""), for
// GET /v1/status and /v1/report.
func (c *Collector) Merged(s *Summary, dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.merged, c.report = s, dir
}

func (c *Collector) shardDir(i int) string { return filepath.Join(c.dir, fmt.Sprintf("shard-%d", i)) }

func (c *Collector) logf(format string, args ...any) {
	if c.progress != nil {
		fmt.Fprintf(c.progress, "collector: "+format+"\n", args...)
	}
}

// shardOf reads the {i} of a path and checks it against the run.
func (c *Collector) shardOf(w http.ResponseWriter, r *http.Request) (int, bool) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 1 || i > c.shards {
		collectorError(w, http.StatusBadRequest, fmt.Sprintf("shard %q: this run has shards 1 to %d", r.PathValue("i"), c.shards))
		return 0, false
	}
	return i, true
}

func (c *Collector) handleReady(w http.ResponseWriter, r *http.Request) {
	i, ok := c.shardOf(w, r)
	if !ok {
		return
	}
	var req barrierRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		collectorError(w, http.StatusBadRequest, "the body is not a barrier request: "+err.Error())
		return
	}
	if req.Shards != c.shards {
		collectorError(w, http.StatusConflict, fmt.Sprintf("shard %d/%d reports to a collector of a run of %d shards: give every shard and the collector the same n", i, req.Shards, c.shards))
		return
	}
	c.mu.Lock()
	if c.runID == "" {
		c.runID = req.RunID
	}
	if req.RunID != c.runID {
		runID := c.runID
		c.mu.Unlock()
		collectorError(w, http.StatusConflict, fmt.Sprintf("shard %d has run id %q, the run's first shard %q: shards of one run share --run-id", i, req.RunID, runID))
		return
	}
	if !c.ready[i] {
		c.ready[i] = true
		c.logf("shard %d/%d ready (%d of %d)", i, c.shards, len(c.ready), c.shards)
		if len(c.ready) == c.shards {
			c.startAt = time.Now().Add(c.lead)
			c.logf("every shard is ready: the attack starts at %s", c.startAt.Format(time.RFC3339Nano))
		}
	}
	ans := barrierAnswer{Ready: len(c.ready), Shards: c.shards, StartAt: c.startAt}
	c.mu.Unlock()
	ans.Now = time.Now()
	status := http.StatusAccepted
	if !ans.StartAt.IsZero() {
		status = http.StatusOK
	}
	collectorJSON(w, status, ans)
}

func (c *Collector) handleUpload(w http.ResponseWriter, r *http.Request) {
	i, ok := c.shardOf(w, r)
	if !ok {
		return
	}
	name := r.PathValue("file")
	if !slices.Contains(uploadFiles, name) {
		collectorError(w, http.StatusBadRequest, fmt.Sprintf("file %q: a shard uploads %v", name, uploadFiles))
		return
	}
	dir := c.shardDir(i)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		collectorError(w, http.StatusInsufficientStorage, "the collector cannot store uploads")
		c.logf("shard %d: %v", i, err)
		return
	}
	// Written aside and renamed: a merge never reads half a file, and a retried
	// upload replaces the first.
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		collectorError(w, http.StatusInsufficientStorage, "the collector cannot store uploads")
		c.logf("shard %d: %v", i, err)
		return
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, maxUpload))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			collectorError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is larger than %d bytes", name, int64(maxUpload)))
			return
		}
		collectorError(w, http.StatusBadRequest, fmt.Sprintf("reading %s: %v", name, err))
		return
	}
	if name == SummaryFile {
		if _, err := ReadSummary(tmp.Name()); err != nil {
			collectorError(w, http.StatusBadRequest, fmt.Sprintf("summary.json of shard %d does not parse: %v", i, err))
			return
		}
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		collectorError(w, http.StatusInsufficientStorage, "the collector cannot store uploads")
		c.logf("shard %d: %v", i, err)
		return
	}
	c.logf("shard %d/%d uploaded %s (%d bytes)", i, c.shards, name, n)
	if name == SummaryFile {
		c.mu.Lock()
		if !c.uploaded[i] {
			c.uploaded[i] = true
			if len(c.uploaded) == c.shards {
				close(c.complete)
			}
		}
		c.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *Collector) handleStatus(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	st := CollectorStatus{Shards: c.shards, Ready: shardList(c.ready), Uploaded: shardList(c.uploaded), StartAt: c.startAt}
	if c.merged != nil {
		st.Verdict = c.merged.Verdict
	}
	c.mu.Unlock()
	collectorJSON(w, http.StatusOK, st)
}

func (c *Collector) handleReport(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	dir := c.report
	c.mu.Unlock()
	name := r.PathValue("file")
	if dir == "" {
		collectorError(w, http.StatusNotFound, "no merged report yet: every shard has not uploaded")
		return
	}
	if !slices.Contains([]string{ReportFile, SummaryFile, ResultsFile, StartResultsFile}, name) {
		collectorError(w, http.StatusNotFound, fmt.Sprintf("file %q: the merged report has %s, %s, %s and %s", name, ReportFile, SummaryFile, ResultsFile, StartResultsFile))
		return
	}
	http.ServeFile(w, r, filepath.Join(dir, name))
}

// shardList is the shards of a set, in order.
func shardList(m map[int]bool) []int { return slices.Sorted(maps.Keys(m)) }

func collectorJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func collectorError(w http.ResponseWriter, status int, msg string) {
	collectorJSON(w, status, map[string]string{"error": msg})
}
