package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

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

// resultWriter appends results to a file in vegeta's gob encoding.
type resultWriter struct {
	f   *os.File
	buf *bufio.Writer
	enc vegeta.Encoder
}

func createResults(path string) (*resultWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("load: creating results file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	return &resultWriter{f: f, buf: buf, enc: vegeta.NewEncoder(buf)}, nil
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
