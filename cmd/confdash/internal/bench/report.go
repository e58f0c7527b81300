package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// benchReport is what a run measured. Latencies are in milliseconds, memory
// in bytes.
type benchReport struct {
	URL            string        `json:"url"` // with several URLs, the first: where announcements were posted
	Viewers        int           `json:"viewers"`
	Procs          int           `json:"procs"`
	Sources        int           `json:"source_addresses"`
	Connected      int           `json:"connected"`
	ConnectFailed  int           `json:"connect_failed"`
	ConnectError   string        `json:"connect_error,omitempty"`
	ConnectSeconds float64       `json:"connect_seconds"` // the steps' sum
	ConnectRate    float64       `json:"connect_rate"`    // viewers subscribed per second
	ConnectSteps   []connectStep `json:"connect_steps"`

	Broadcasts        int            `json:"broadcasts"`
	AnnouncementBytes int            `json:"announcement_bytes"`
	Deliveries        int            `json:"deliveries"`
	Missing           int            `json:"missing"`
	Dropped           int            `json:"dropped"`
	DropReasons       map[string]int `json:"drop_reasons,omitempty"`
	Latency           *latencies     `json:"latency_ms,omitempty"`
	ByBroadcast       []latencies    `json:"latency_ms_by_broadcast,omitempty"`
	// PostMS is how long each POST took to be answered.
	PostMS []float64 `json:"post_ms,omitempty"`

	// Server is the server's figures; with several URLs, the sums over
	// their processes (no pid), given only when every one was measured.
	Server *serverFigures `json:"server,omitempty"`
	// Instances is each URL's share of a run over several (none for one).
	Instances []instanceReport `json:"instances,omitempty"`
	// LoadAverage is /proc/loadavg's 1-minute figure at the start and the
	// end: other work on the machine shows in every figure above.
	LoadAverage [2]float64 `json:"load_average"`
}

// instanceReport is one server of a run over several URLs: its viewers and
// their deliveries, and its process's figures.
type instanceReport struct {
	URL           string         `json:"url"`
	Viewers       int            `json:"viewers"`
	Connected     int            `json:"connected"`
	ConnectFailed int            `json:"connect_failed"`
	Deliveries    int            `json:"deliveries"`
	Missing       int            `json:"missing"`
	Dropped       int            `json:"dropped"`
	Latency       *latencies     `json:"latency_ms,omitempty"`
	Server        *serverFigures `json:"server,omitempty"`
}

// connectStep is one burst of connections.
type connectStep struct {
	Viewers      int     `json:"viewers"`
	Connected    int     `json:"connected"`
	Failed       int     `json:"failed"`
	FirstError   string  `json:"-"`
	Seconds      float64 `json:"seconds"`
	RSS          int64   `json:"rss_bytes,omitempty"`            // the server's (the servers' sum), after --settle
	RSSPerViewer float64 `json:"rss_per_viewer_bytes,omitempty"` // its growth over the step, per viewer
}

type latencies struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// serverFigures come from /proc/PID of the server process.
type serverFigures struct {
	PID       int   `json:"pid,omitempty"`    // none for a sum over several servers
	RSSBefore int64 `json:"rss_before_bytes"` // before the viewers connected
	RSSIdle   int64 `json:"rss_idle_bytes"`   // every viewer connected, after --settle
	RSSAfter  int64 `json:"rss_after_bytes"`  // after the broadcasts
	// RSSPerViewer is (RSSIdle - RSSBefore) / connected; it is flattered
	// by memory the server had freed before the run and reused.
	RSSPerViewer float64 `json:"rss_per_viewer_bytes"`
	// RSSPerViewerMarginal is the growth over the last connect step per
	// viewer of that step: what one more viewer costs.
	RSSPerViewerMarginal float64 `json:"rss_per_viewer_marginal_bytes"`
	// CPUPerDelivery is the server's CPU time from the first broadcast to the
	// last delivery, divided by the deliveries, in microseconds.
	CPUBroadcastSeconds float64 `json:"cpu_broadcast_seconds"`
	CPUPerDelivery      float64 `json:"cpu_per_delivery_us"`
	// IdleCPUPercent is the server's CPU over --idle with every viewer
	// connected, in percent of one core (several servers: the sum).
	IdleSeconds    float64 `json:"idle_seconds,omitempty"`
	IdleCPUPercent float64 `json:"idle_cpu_percent_of_core,omitempty"`
	// InProcess: the server is this very process, so memory and CPU include
	// the viewers'.
	InProcess bool `json:"in_process,omitempty"`
}

// summarize returns latency percentiles (nearest rank); nil for no samples.
func summarize(ms []float64) *latencies {
	if len(ms) == 0 {
		return nil
	}
	slices.Sort(ms)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ms)))) - 1
		return ms[max(0, min(i, len(ms)-1))]
	}
	var sum float64
	for _, v := range ms {
		sum += v
	}
	return &latencies{P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999), Max: ms[len(ms)-1], Mean: sum / float64(len(ms))}
}

// print writes the report for people.
func (r *benchReport) print(w io.Writer) {
	if len(r.Instances) > 0 {
		fmt.Fprintf(w, "targets        %d instances; announcements posted to %s, delivery timed on every instance\n", len(r.Instances), r.URL)
	} else {
		fmt.Fprintf(w, "target         %s\n", r.URL)
	}
	fmt.Fprintf(w, "viewers        %d connected of %d (%d failed) in %d process(es) from %d source address(es)\n",
		r.Connected, r.Viewers, r.ConnectFailed, r.Procs, r.Sources)
	if r.ConnectError != "" {
		fmt.Fprintf(w, "               first failure: %s\n", r.ConnectError)
	}
	fmt.Fprintf(w, "connect        %.2f s, %.0f viewers/s", r.ConnectSeconds, r.ConnectRate)
	if len(r.ConnectSteps) > 1 {
		for i, st := range r.ConnectSteps {
			sep := " ("
			if i > 0 {
				sep = ", then "
			}
			fmt.Fprintf(w, "%s%d in %.2f s", sep, st.Connected, st.Seconds)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if r.Broadcasts > 0 {
		fmt.Fprintf(w, "broadcasts     %d of %d bytes: %d deliveries, %d missing", r.Broadcasts, r.AnnouncementBytes, r.Deliveries, r.Missing)
		if r.Dropped > 0 {
			fmt.Fprintf(w, ", %d viewers dropped (%s)", r.Dropped, sortedReasons(r.DropReasons))
		}
		fmt.Fprintln(w)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency        p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  max %.1f ms\n", l.P50, l.P90, l.P99, l.P999, l.Max)
		if len(r.ByBroadcast) > 1 {
			fmt.Fprint(w, "by broadcast  ")
			for i, b := range r.ByBroadcast {
				fmt.Fprintf(w, " #%d p50 %.0f p99 %.0f max %.0f;", i+1, b.P50, b.P99, b.Max)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprint(w, "POST answered ")
		for _, ms := range r.PostMS {
			fmt.Fprintf(w, " %.1f ms", ms)
		}
		fmt.Fprintln(w)
	}
	if s := r.Server; s != nil {
		note := ""
		if s.InProcess {
			note = " (the server runs in this process: figures include the viewers)"
		}
		if len(r.Instances) > 0 {
			pids := make([]string, len(r.Instances))
			for i, in := range r.Instances {
				pids[i] = strconv.Itoa(in.Server.PID)
			}
			fmt.Fprintf(w, "server pids    %s: the figures below are their sums%s\n", strings.Join(pids, ", "), note)
		} else {
			fmt.Fprintf(w, "server pid     %d%s\n", s.PID, note)
		}
		fmt.Fprintf(w, "memory         %.1f KB per viewer on the last connect step, %.1f KB overall (RSS %.1f MB before, %.1f MB with every viewer idle, %.1f MB after the broadcasts)\n",
			s.RSSPerViewerMarginal/1024, s.RSSPerViewer/1024, mb(s.RSSBefore), mb(s.RSSIdle), mb(s.RSSAfter))
		if r.Broadcasts > 0 {
			fmt.Fprintf(w, "cpu            %.2f µs per delivery (%.2f s for the broadcasts)\n", s.CPUPerDelivery, s.CPUBroadcastSeconds)
		}
		if s.IdleSeconds > 0 {
			fmt.Fprintf(w, "idle cpu       %.2f%% of one core over %.0f s\n", s.IdleCPUPercent, s.IdleSeconds)
		}
	}
	if len(r.Instances) > 0 {
		r.printInstances(w)
	}
	fmt.Fprintf(w, "load average   %.2f at the start, %.2f at the end\n", r.LoadAverage[0], r.LoadAverage[1])
}

// printInstances is the table of a run over several URLs, one row each.
func (r *benchReport) printInstances(w io.Writer) {
	fmt.Fprintln(w, "by instance")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "#\turl\tpid\tviewers\tconnected\tfailed\tdeliveries\tmissing\tdropped\tp50_ms\tp99_ms\tmax_ms\trss_per_viewer_kb\tcpu_per_delivery_us\tidle_cpu_pct\t\n")
	for i, in := range r.Instances {
		cells := []string{strconv.Itoa(i + 1), in.URL, "-",
			strconv.Itoa(in.Viewers), strconv.Itoa(in.Connected), strconv.Itoa(in.ConnectFailed),
			strconv.Itoa(in.Deliveries), strconv.Itoa(in.Missing), strconv.Itoa(in.Dropped)}
		if l := in.Latency; l != nil {
			cells = append(cells, formatFigure(l.P50), formatFigure(l.P99), formatFigure(l.Max))
		} else {
			cells = append(cells, "-", "-", "-")
		}
		if s := in.Server; s != nil {
			cells[2] = strconv.Itoa(s.PID)
			idle := "-"
			if s.IdleSeconds > 0 {
				idle = formatFigure(s.IdleCPUPercent)
			}
			cells = append(cells, formatFigure(s.RSSPerViewer/1024), formatFigure(s.CPUPerDelivery), idle)
		} else {
			cells = append(cells, "-", "-", "-")
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	tw.Flush()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// writeReport writes a command's report: indented JSON with --json, else
// for people.
func writeReport(w io.Writer, asJSON bool, rep interface{ print(io.Writer) }) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(w)
	return nil
}
