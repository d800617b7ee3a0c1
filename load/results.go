package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// File names in a report directory.
const (
	// ResultsFile holds the completions, vegeta's gob encoding of lib.Result, so
	// that `vegeta report` and `vegeta plot` read it directly.
	ResultsFile = "results.bin"
	// StartResultsFile holds the start requests in the same encoding.
	StartResultsFile = "start.bin"
	// SummaryFile is the JSON summary.
	SummaryFile = "summary.json"
	// ReportFile is the self-contained HTML report.
	ReportFile = "report.html"
)

// resultWriter appends results to a file in vegeta's gob encoding. Results
// arrive in the order their answers do, not in the order of their timestamps
// (the intended send times); close puts the file in timestamp order, which
// `vegeta plot` needs.
type resultWriter struct {
	f    *os.File
	path string
	buf  *bufio.Writer
	enc  vegeta.Encoder
	// last is the latest timestamp written; unsorted is set once a result
	// came with an earlier one.
	last     time.Time
	unsorted bool
}

func createResults(path string) (*resultWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("load: creating results file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	return &resultWriter{f: f, path: path, buf: buf, enc: vegeta.NewEncoder(buf)}, nil
}

// write stores r without what the report does not need: the body of a success
// (it holds m2, and nothing a report reads) and the response headers. Error
// bodies stay, since they carry the section 10 code.
func (w *resultWriter) write(r *vegeta.Result) error {
	out := *r
	if out.Code == 200 && out.Error == "" {
		out.Body = nil
	}
	if err := w.enc.Encode(&out); err != nil {
		return fmt.Errorf("load: writing results: %w", err)
	}
	if out.Timestamp.Before(w.last) {
		w.unsorted = true
	} else {
		w.last = out.Timestamp
	}
	return nil
}

func (w *resultWriter) close() error {
	err := w.buf.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("load: closing results file: %w", err)
	}
	if w.unsorted {
		return sortResults(w.path)
	}
	return nil
}

// sortResults rewrites a results file in timestamp order (stable, so results of
// one instant keep their order). It holds the file's results in memory: without
// the bodies of successes (resultWriter.write) they are a few hundred bytes each.
func sortResults(path string) error {
	var rs []vegeta.Result
	if err := ReadResults(path, func(r *vegeta.Result) error { rs = append(rs, *r); return nil }); err != nil {
		return err
	}
	slices.SortStableFunc(rs, func(a, b vegeta.Result) int { return a.Timestamp.Compare(b.Timestamp) })
	tmp := path + ".sorting"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("load: sorting results: %w", err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	enc := vegeta.NewEncoder(buf)
	for i := range rs {
		if err = enc.Encode(&rs[i]); err != nil {
			break
		}
	}
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("load: sorting results: %w", err)
	}
	return nil
}

// ReadResults calls fn for every result in a results file written by a run (or by
// `vegeta attack`, in any of vegeta's encodings). It stops at the first error fn
// returns.
func ReadResults(path string, fn func(*vegeta.Result) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	dec := vegeta.DecoderFor(bufio.NewReaderSize(f, 64<<10))
	if dec == nil {
		if st, serr := f.Stat(); serr == nil && st.Size() == 0 {
			return nil // a run that sent nothing
		}
		return fmt.Errorf("load: %s: not a vegeta results file", path)
	}
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("load: %s: %w", path, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}
