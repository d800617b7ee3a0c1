package load

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// WriteText writes the human summary of a run: the series, the generator's own
// health, CPU, the search steps and the verdict table.
func WriteText(w io.Writer, s *Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s", s.Profile)
	if s.Shard != "" {
		fmt.Fprintf(&b, " (shard %s)", s.Shard)
	}
	if s.Target != "" {
		fmt.Fprintf(&b, ", target %s", s.Target)
	}
	fmt.Fprintf(&b, ", %d users, policy %s\n", s.Users, s.Policy)
	fmt.Fprintf(&b, "attack %.1fs, requested %.1f completions/s\n", s.AttackSeconds, s.RequestedRate)
	if s.Version.Module != "" {
		fmt.Fprintf(&b, "%s\n", s.Version)
	}
	if s.Interrupted {
		b.WriteString("INTERRUPTED: the run was cut short; what follows is what was measured until then\n")
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tCOUNT\tOK\tSUCCESS\tRATE\tP50\tP90\tP95\tP99\tMAX\tMEAN")
	row := func(name string, ss *SeriesSummary, l Latency) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.1f/s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, ss.Count, ss.OK, ss.Success, ss.Rate,
			fmtDuration(time.Duration(l.P50)), fmtDuration(time.Duration(l.P90)), fmtDuration(time.Duration(l.P95)),
			fmtDuration(time.Duration(l.P99)), fmtDuration(time.Duration(l.Max)), fmtDuration(time.Duration(l.Mean)))
	}
	row("start", &s.Start, s.Start.Latency)
	row("complete", &s.Complete, s.Complete.Latency)
	if s.Complete.Service != nil {
		row("  (uncorrected)", &s.Complete, *s.Complete.Service)
	}
	tw.Flush()

	if len(s.Shards) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SHARD\tUSERS\tREQUESTED\tSENT\tSUCCESS\tP99\tVERDICT\tSOURCE")
		for _, sh := range s.Shards {
			fmt.Fprintf(tw, "%s\t%d\t%.1f/s\t%.1f/s\t%.4f\t%s\t%s\t%s\n", cmp.Or(sh.Shard, "-"), sh.Users, sh.RequestedRate, sh.Rate,
				sh.Success, fmtDuration(time.Duration(sh.P99)), sh.Verdict, sh.Source)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\ncomplete: %d of %d M2 verified; status %s", s.Complete.Verified, s.Complete.Count, counts(s.Complete.Status))
	if len(s.Complete.ErrorCodes) > 0 {
		fmt.Fprintf(&b, "; errors %s", counts(s.Complete.ErrorCodes))
	}
	fmt.Fprintf(&b, "\nstart:    status %s", counts(s.Start.Status))
	if len(s.Start.ErrorCodes) > 0 {
		fmt.Fprintf(&b, "; errors %s", counts(s.Start.ErrorCodes))
	}
	g := s.Generator
	fmt.Fprintf(&b, "\ngenerator: planned %d, sent %d, starved %d, dropped %d, late %d (>%s), send lag p99 %s max %s\n",
		g.Planned, g.Sent, g.Starved, g.Dropped, g.Late, fmtDuration(time.Duration(g.LateAfter)),
		fmtDuration(time.Duration(g.SendLag.P99)), fmtDuration(time.Duration(g.SendLag.Max)))
	if g.EphemeralsOnDemand+g.SecretsOnDemand+g.ResolvedUsers+g.RetiredUsers > 0 {
		fmt.Fprintf(&b, "generator: computed during the attack %d ephemerals, %d secrets; users resolved %d, retired %d\n",
			g.EphemeralsOnDemand, g.SecretsOnDemand, g.ResolvedUsers, g.RetiredUsers)
	}
	if c := s.CPU; c != nil {
		fmt.Fprintf(&b, "cpu: generator %s per completion%s", fmtDuration(time.Duration(c.GeneratorPerCompletion)), floorX(c.GeneratorFloorMultiple))
		if c.ServerPID > 0 {
			fmt.Fprintf(&b, ", server (pid %d) %s per completion%s, ratio %.2f", c.ServerPID, fmtDuration(time.Duration(c.ServerPerCompletion)), floorX(c.ServerFloorMultiple), c.Ratio)
		}
		fmt.Fprintf(&b, " (%d completions)\n", c.Completions)
	}
	if f := s.Floors; f != nil {
		fmt.Fprintf(&b, "floor: the SRP work of one renewal here: server %s, generator %s (+%s made ahead)\n",
			fmtDuration(time.Duration(f.Server)), fmtDuration(time.Duration(f.Generator)), fmtDuration(time.Duration(f.Precomputed)))
	}
	if len(s.Steps) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP RATE\tACHIEVED\tOK/S\tSUCCESS\tP50\tP99\tSTART P99\tSTARVED\tDROPPED\tGEN CPU\tSERVER CPU\tHELD")
		for _, st := range s.Steps {
			gen, srv := "-", "-"
			if st.CPU != nil {
				gen = fmtDuration(time.Duration(st.CPU.GeneratorPerCompletion)) + floorX(st.CPU.GeneratorFloorMultiple)
				if st.CPU.ServerPID > 0 {
					srv = fmtDuration(time.Duration(st.CPU.ServerPerCompletion)) + floorX(st.CPU.ServerFloorMultiple)
				}
			}
			held := "yes"
			if !st.Held {
				held = "no: " + strings.Join(st.Broke, "; ")
			}
			fmt.Fprintf(tw, "%.1f/s\t%.1f/s\t%.1f\t%.4f\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", st.Rate, st.Achieved, st.Throughput, st.Success,
				fmtDuration(time.Duration(st.P50)), fmtDuration(time.Duration(st.P99)), fmtDuration(time.Duration(st.StartP99)),
				st.Starved, st.Dropped, gen, srv, held)
		}
		tw.Flush()
	}
	if sat := s.Saturation; sat != nil {
		fmt.Fprintf(&b, "saturation: last step that held %.1f/s (%.1f ok/s); peak %.1f ok/s; %s\n", sat.Rate, sat.Throughput, sat.PeakThroughput, sat.Stopped)
		if sat.GeneratorBound {
			b.WriteString("saturation: the generator could not keep up: this bounds the generator, not the deployment\n")
		}
	}
	b.WriteString("\n")
	if err := writeVerdicts(&b, s); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeVerdicts(b *strings.Builder, s *Summary) error {
	if len(s.Thresholds) == 0 && !s.Interrupted {
		b.WriteString("no thresholds\n")
		return nil
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "THRESHOLD\tACTUAL\tVERDICT")
	failed := 0
	for _, v := range s.Thresholds {
		verdict := "pass"
		if !v.Pass {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Threshold, v.Actual, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case s.Interrupted:
		fmt.Fprintf(b, "INTERRUPTED: no verdict (the thresholds above are over a run cut short)\n")
	case failed == 0:
		fmt.Fprintf(b, "PASS: %d of %d thresholds met\n", len(s.Thresholds), len(s.Thresholds))
	default:
		fmt.Fprintf(b, "FAIL: %d of %d thresholds breached\n", failed, len(s.Thresholds))
	}
	return nil
}

// counts prints a map of counts as "k n, k n", keys sorted.
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+" "+strconv.FormatInt(m[k], 10))
	}
	return strings.Join(parts, ", ")
}

// WriteHTML writes a self-contained HTML report: tables and inline SVG plots, no
// scripts, no external resources.
func WriteHTML(w io.Writer, s *Summary) error {
	var text strings.Builder
	if err := WriteText(&text, s); err != nil {
		return err
	}
	data := struct {
		S        *Summary
		Text     string
		Command  string
		Timeline template.HTML
		Rate     template.HTML
		Errors   template.HTML
		Dist     template.HTML
	}{S: s, Text: text.String(), Command: shellJoin(s.Command)}
	data.Timeline = template.HTML(timelineChart(s))
	data.Rate = template.HTML(rateChart(s))
	data.Errors = template.HTML(errorChart(s))
	data.Dist = template.HTML(distributionChart(s))
	if err := reportTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("load: writing report: %w", err)
	}
	return nil
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(m Millis) string { return fmtDuration(time.Duration(m)) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>renewkit load: {{.S.Profile}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.interrupted{color:#9a6700;font-weight:bold}
svg{background:#fff;border:1px solid #ddd;margin:.5em 0}
svg text{font:11px system-ui,sans-serif;fill:#333}
table.shards{border-collapse:collapse}table.shards td,table.shards th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}
</style></head><body>
<h1>renewkit load: profile {{.S.Profile}}{{if .S.Shard}} (shard {{.S.Shard}}){{end}}</h1>
<p>Started {{.S.Started.Format "2006-01-02 15:04:05 MST"}}{{if .S.Target}}, target <code>{{.S.Target}}</code>{{end}}{{if .S.RunID}}, run {{.S.RunID}}{{end}}.
Verdict: {{if .S.Interrupted}}<span class="interrupted">INTERRUPTED</span>: the run was cut short, so it gives no verdict; the figures are what was measured until then{{else if not .S.Thresholds}}no thresholds{{else if .S.Passed}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span>{{end}}.</p>
<p><small>{{.S.Version}}{{if .S.Command}} &mdash; <code>{{.Command}}</code>{{end}}</small></p>
{{if .S.Sources}}<p>Merged from: {{range .S.Sources}}<code>{{.}}</code> {{end}}</p>{{end}}
{{if .S.Shards}}<table class="shards"><tr><th>shard</th><th>users</th><th>requested</th><th>sent</th><th>success</th><th>p99</th><th>verdict</th><th>source</th></tr>
{{range .S.Shards}}<tr><td>{{or .Shard "-"}}</td><td>{{.Users}}</td><td>{{printf "%.1f/s" .RequestedRate}}</td><td>{{printf "%.1f/s" .Rate}}</td><td>{{printf "%.4f" .Success}}</td><td>{{ms .P99}}</td><td>{{.Verdict}}</td><td><code>{{.Source}}</code></td></tr>
{{end}}</table>{{end}}
<h2>Completion latency over time</h2>
<p>Completions: latency from the pacer's intended send time (corrected for coordinated omission), per window of {{.S.WindowSeconds}}s. Start requests: service time.</p>
{{.Timeline}}
<h2>Rate over time</h2>
<p>The rate the profile requested (dashed black) beside the completions actually sent{{if .S.Steps}}; dotted lines mark each step of the search, the solid red line the saturation point (the end of the last step that held){{end}}.</p>
{{.Rate}}
<h2>Errors over time</h2>
{{.Errors}}
<h2>Latency distribution</h2>
<p>Percentile spectrum from the HDR histograms. "complete" is corrected for coordinated omission; "uncorrected" is the completions' service time. The gap between them is the time completions waited to be sent.</p>
{{.Dist}}
<h2>Summary</h2>
<pre>{{.Text}}</pre>
</body></html>
`))

// xy is one point of a chart line.
type xy struct{ x, y float64 }

type chartLine struct {
	name   string
	color  string
	dashed bool
	pts    []xy
}

type tick struct {
	v     float64
	label string
}

type chart struct {
	title   string
	xLabel  string
	yLabel  string
	logY    bool
	xTicks  []tick
	yFmt    func(float64) string
	lines   []chartLine
	markers []marker
}

// marker is a vertical line at x with a label at its top: a step's start, the
// saturation point.
type marker struct {
	x      float64
	label  string
	color  string
	strong bool
}

const (
	chartW, chartH                     = 960, 320
	padL, padR, padT, padB             = 70, 160, 28, 42
	plotW, plotH                       = chartW - padL - padR, chartH - padT - padB
	colorP50, colorP99, colorMax       = "#1f77b4", "#d62728", "#9467bd"
	colorStart, colorService, colorErr = "#2ca02c", "#ff7f0e", "#7f7f7f"
	colorRequested                     = "#000000"
)

// svg renders the chart. Y values must be positive for a log axis; others are
// dropped.
func (c chart) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%d" y="18" style="font-weight:bold">%s</text>`, padL, html.EscapeString(c.title))
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, l := range c.lines {
		for _, p := range l.pts {
			if c.logY && p.y <= 0 {
				continue
			}
			xmin, xmax = math.Min(xmin, p.x), math.Max(xmax, p.x)
			ymin, ymax = math.Min(ymin, p.y), math.Max(ymax, p.y)
		}
	}
	for _, t := range c.xTicks {
		xmin, xmax = math.Min(xmin, t.v), math.Max(xmax, t.v)
	}
	if math.IsInf(xmin, 0) || math.IsInf(ymin, 0) {
		fmt.Fprintf(&b, `<text x="%d" y="%d">no data</text></svg>`, padL+10, padT+plotH/2)
		return b.String()
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	var yTicks []tick
	var ty func(float64) float64
	if c.logY {
		lo, hi := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
		if hi == lo {
			hi = lo + 1
		}
		ty = func(y float64) float64 { return padT + plotH - (math.Log10(y)-lo)/(hi-lo)*plotH }
		for e := lo; e <= hi; e++ {
			yTicks = append(yTicks, tick{math.Pow(10, e), c.yFmt(math.Pow(10, e))})
		}
	} else {
		if ymin > 0 {
			ymin = 0
		}
		step := niceStep((ymax - ymin) / 5)
		if step <= 0 {
			step = 1
		}
		hi := math.Ceil(ymax/step) * step
		if hi <= ymin {
			hi = ymin + step
		}
		ty = func(y float64) float64 { return padT + plotH - (y-ymin)/(hi-ymin)*plotH }
		for v := ymin; v <= hi+step/2; v += step {
			yTicks = append(yTicks, tick{v, c.yFmt(v)})
		}
	}
	tx := func(x float64) float64 { return padL + (x-xmin)/(xmax-xmin)*plotW }
	for _, t := range yTicks {
		y := ty(t.v)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`, padL, padL+plotW, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, html.EscapeString(t.label))
	}
	xt := c.xTicks
	if xt == nil {
		step := niceStep((xmax - xmin) / 8)
		for v := math.Ceil(xmin/step) * step; v <= xmax+step/1e6; v += step {
			xt = append(xt, tick{v, strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	for _, t := range xt {
		x := tx(t.v)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>`, x, x, padT, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, padT+plotH+16, html.EscapeString(t.label))
	}
	for i, m := range c.markers {
		if m.x < xmin || m.x > xmax {
			continue
		}
		x := tx(m.x)
		width, dash := 1.0, ` stroke-dasharray="2,3"`
		if m.strong {
			width, dash = 2, ""
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-width="%.0f"%s/>`, x, x, padT, padT+plotH, m.color, width, dash)
		// Labels take turns on three rows so that neighbours do not overlap, and
		// sit left of their line in the right quarter, clear of the legend.
		lx, anchor := x+3, "start"
		if x > padL+0.75*plotW {
			lx, anchor = x-3, "end"
		}
		row := i % 3
		if m.strong {
			row = 3
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="%s" text-anchor="%s">%s</text>`, lx, padT+12+row*12, m.color, anchor, html.EscapeString(m.label))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`, padL, padT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, padL+plotW/2, chartH-6, html.EscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`, padT+plotH/2, padT+plotH/2, html.EscapeString(c.yLabel))
	for i, l := range c.lines {
		var pts []string
		for _, p := range l.pts {
			if c.logY && p.y <= 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", tx(p.x), ty(p.y)))
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		if len(pts) == 1 {
			fmt.Fprintf(&b, `<circle cx="%s" r="3" fill="%s"/>`, strings.Replace(pts[0], ",", `" cy="`, 1), l.color)
		} else if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.6"%s points="%s"/>`, l.color, dash, strings.Join(pts, " "))
		}
		ly := padT + 10 + i*18
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, padL+plotW+12, padL+plotW+36, ly, ly, l.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, padL+plotW+42, ly+4, html.EscapeString(l.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func msLabel(ms float64) string { return fmtDuration(time.Duration(ms * float64(time.Millisecond))) }

func timelineChart(s *Summary) string {
	c := chart{title: "Latency per window", xLabel: "seconds since start", yLabel: "latency", logY: true, yFmt: msLabel}
	line := func(name, color string, dashed bool, tl []Point, get func(Point) Millis) {
		l := chartLine{name: name, color: color, dashed: dashed}
		for _, p := range tl {
			if p.Count > 0 {
				l.pts = append(l.pts, xy{p.T, float64(time.Duration(get(p))) / 1e6})
			}
		}
		c.lines = append(c.lines, l)
	}
	line("complete p50", colorP50, false, s.Complete.Timeline, func(p Point) Millis { return p.P50 })
	line("complete p99", colorP99, false, s.Complete.Timeline, func(p Point) Millis { return p.P99 })
	line("complete max", colorMax, false, s.Complete.Timeline, func(p Point) Millis { return p.Max })
	line("start p99", colorStart, true, s.Start.Timeline, func(p Point) Millis { return p.P99 })
	return c.svg()
}

func rateChart(s *Summary) string {
	c := chart{title: "Requests per second per window", xLabel: "seconds since start", yLabel: "per second",
		yFmt: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }}
	line := func(name, color string, dashed bool, tl []Point, get func(Point) float64) {
		l := chartLine{name: name, color: color, dashed: dashed}
		for _, p := range tl {
			l.pts = append(l.pts, xy{p.T, get(p)})
		}
		c.lines = append(c.lines, l)
	}
	w := s.WindowSeconds
	if w <= 0 {
		w = 1
	}
	if len(s.Requested) > 0 {
		req := chartLine{name: "requested", color: colorRequested, dashed: true}
		for _, rp := range s.Requested {
			req.pts = append(req.pts, xy{rp.T, rp.Rate})
		}
		c.lines = append(c.lines, req)
	}
	line("completions sent", colorP50, false, s.Complete.Timeline, func(p Point) float64 { return p.Rate })
	line("starts", colorStart, true, s.Start.Timeline, func(p Point) float64 { return p.Rate })
	c.markers = stepMarkers(s)
	return c.svg()
}

// errorChart is the errors per second of each series over time, on their own
// axis so that a few errors among many answers are not lost at the bottom of the
// rate chart.
func errorChart(s *Summary) string {
	c := chart{title: "Errors per second per window", xLabel: "seconds since start", yLabel: "errors per second",
		yFmt: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }}
	w := s.WindowSeconds
	if w <= 0 {
		w = 1
	}
	for _, sr := range []struct {
		name  string
		color string
		tl    []Point
	}{{"completion errors", colorP99, s.Complete.Timeline}, {"start errors", colorService, s.Start.Timeline}} {
		l := chartLine{name: sr.name, color: sr.color}
		for _, p := range sr.tl {
			l.pts = append(l.pts, xy{p.T, float64(p.Errors) / w})
		}
		c.lines = append(c.lines, l)
	}
	c.markers = stepMarkers(s)
	return c.svg()
}

// stepMarkers marks where each step of the max profile began, with its requested
// rate (and "broke" for the step that did not hold), and the end of the last step
// that held: the saturation point.
func stepMarkers(s *Summary) []marker {
	var ms []marker
	for _, st := range s.Steps {
		m := marker{x: st.BeganSeconds, label: fmt.Sprintf("%.4g/s", st.Rate), color: "#555"}
		if !st.Held {
			m.label += " broke"
			m.color = colorP99
		}
		ms = append(ms, m)
	}
	if sat := s.Saturation; sat != nil && sat.Rate > 0 {
		for _, st := range s.Steps {
			if st.Held && st.Rate == sat.Rate {
				ms = append(ms, marker{x: st.BeganSeconds + st.Seconds, color: colorP99, strong: true,
					label: fmt.Sprintf("saturation %.4g ok/s", sat.Throughput)})
			}
		}
	}
	return ms
}

// nines are the x positions of the percentile spectrum: x = log10(1/(1-q)), so
// 0 is the median's left end (q = 0), 1 is 90%, 2 is 99% and so on.
var ninesTicks = []tick{{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}}

func spectrum(h *hdrhistogram.Histogram) []xy {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	// Beyond 1/count the percentiles are all the maximum: stop there.
	maxX := math.Min(5, math.Log10(float64(h.TotalCount())))
	var pts []xy
	for i := 0; i <= 100; i++ {
		x := maxX * float64(i) / 100
		q := 100 * (1 - math.Pow(10, -x))
		pts = append(pts, xy{x, float64(h.ValueAtQuantile(q)) / 1000})
	}
	return append(pts, xy{maxX, float64(h.Max()) / 1000})
}

func distributionChart(s *Summary) string {
	c := chart{title: "Latency by percentile", xLabel: "percentile", yLabel: "latency", logY: true, yFmt: msLabel}
	n := 1
	for _, h := range []*hdrhistogram.Histogram{s.Complete.hist, s.Start.hist} {
		if h != nil && h.TotalCount() > 0 {
			n = max(n, int(math.Ceil(math.Min(5, math.Log10(float64(h.TotalCount()))))))
		}
	}
	c.xTicks = ninesTicks[:n+1]
	c.lines = []chartLine{
		{name: "complete", color: colorP99, pts: spectrum(s.Complete.hist)},
		{name: "uncorrected", color: colorService, dashed: true, pts: spectrum(s.Complete.service)},
		{name: "start", color: colorStart, pts: spectrum(s.Start.hist)},
	}
	return c.svg()
}

// floorX is a CPU figure's multiple of its SRP floor, " (1.42x floor)", or "" when
// there is none.
func floorX(m float64) string {
	if m <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%.2fx floor)", m)
}

// shellJoin is a command line as a shell would take it back.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+%", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
