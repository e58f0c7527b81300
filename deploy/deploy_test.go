// Package deploy_test keeps deploy/ honest: the Prometheus configuration and
// alert rules parse with Prometheus' own parsers, the compose file, the
// Grafana provisioning and the dashboard fit together, every metric they
// query is one a running confdash exports, the proxy configurations pass a
// websocket, and every command in the operator guide runs.
package deploy_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/demo"
	"github.com/confdash/confdash/server"
	"github.com/gorilla/websocket"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// notExported are metric names the rules may use that a single confdash,
// started as this test starts it, does not export; each says why. The test
// fails when one of them appears in the scrape after all (then drop it from
// here) or when nothing uses it any more.
var notExported = map[string]string{
	// Prometheus writes it for every scrape: 0 when the target is down.
	"up": "Prometheus' own scrape health",
	// Only an instance started in a NATS cluster exports it; a single
	// instance never has it, so ConfdashNATSDisconnected cannot fire there.
	"confdash_nats_connected": "cluster mode only",
}

// wantAlerts are the alerts operators are promised (docs/operations.md
// explains each).
var wantAlerts = []string{
	"ConfdashDown",
	"ConfdashViewersDropped",
	"ConfdashTransitionMissed",
	"ConfdashBroadcastSlow",
	"ConfdashSlowConsumersSpiking",
	"ConfdashScheduleRefreshFailing",
	"ConfdashNATSDisconnected",
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// selector is one series selector of a PromQL expression.
type selector struct {
	metric string
	labels []string // label names its matchers use, besides __name__
	where  string
}

// selectors parses a PromQL expression with Prometheus' parser and returns
// its series selectors.
func selectors(t *testing.T, where, expr string) []selector {
	t.Helper()
	e, err := parser.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %v\n%s", where, err, expr)
		return nil
	}
	var out []selector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := selector{metric: vs.Name, where: where}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName {
				if m.Type == labels.MatchEqual {
					s.metric = m.Value
				}
				continue
			}
			s.labels = append(s.labels, m.Name)
		}
		if s.metric == "" {
			t.Errorf("%s: a selector without a metric name: %s", where, vs)
		}
		out = append(out, s)
		return nil
	})
	return out
}

// ruleGroups parses alerts.yml with Prometheus' own rule-file parser, which
// also parses every expression and checks every template.
func ruleGroups(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.Parse(readFile(t, "alerts.yml"), false)
	for _, err := range errs {
		t.Errorf("alerts.yml: %v", err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return groups
}

func ruleSelectors(t *testing.T) []selector {
	var out []selector
	for _, g := range ruleGroups(t).Groups {
		for _, r := range g.Rules {
			out = append(out, selectors(t, "alerts.yml "+r.Alert+r.Record, r.Expr)...)
		}
	}
	return out
}

func TestDeployRules(t *testing.T) {
	groups := ruleGroups(t)
	guide := string(readFile(t, "../docs/operations.md"))
	var names []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			names = append(names, r.Alert)
			t.Run(r.Alert, func(t *testing.T) {
				if r.For <= 0 {
					t.Errorf("no for: a single bad scrape would page someone")
				}
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("severity %q, want critical or warning", s)
				}
				for _, a := range []string{"summary", "description", "runbook_url"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("no %s annotation", a)
					}
				}
				// The runbook is the guide's section for this alert.
				u, err := url.Parse(r.Annotations["runbook_url"])
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(u.Path, "/docs/operations.md") || !slices.Contains(headingAnchors(guide), u.Fragment) {
					t.Errorf("runbook_url %s: want docs/operations.md#%s, a heading of the guide", u, strings.ToLower(r.Alert))
				}
			})
		}
	}
	sort.Strings(names)
	want := slices.Clone(wantAlerts)
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("alerts %v, want %v", names, want)
	}
}

// headingAnchors are the GitHub anchors of a Markdown file's headings.
func headingAnchors(md string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#+ +(.+)$`).FindAllStringSubmatch(md, -1) {
		a := strings.ToLower(strings.TrimSpace(m[1]))
		a = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(a, "")
		out = append(out, strings.ReplaceAll(a, " ", "-"))
	}
	return out
}

// composeFile is the part of compose.yaml the tests read.
type composeFile struct {
	Services map[string]struct {
		Build       any      `yaml:"build"`
		Image       string   `yaml:"image"`
		Ports       []string `yaml:"ports"`
		Environment []string `yaml:"environment"`
		Volumes     []string `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal(readFile(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// mountSource returns the host path that compose mounts at target in a
// service, relative to deploy/, or "" when target is not a bind mount.
func mountSource(vols []string, target string) string {
	for _, v := range vols {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target && (strings.HasPrefix(parts[0], ".") || strings.HasPrefix(parts[0], "/")) {
			return parts[0]
		}
	}
	return ""
}

// hostFor maps a path inside a container to the file in deploy/ that
// compose mounts there (a file, or a file under a mounted folder).
func hostFor(t *testing.T, vols []string, inContainer string) string {
	t.Helper()
	for dir := inContainer; dir != "/" && dir != "."; dir = path.Dir(dir) {
		if src := mountSource(vols, dir); src != "" {
			rel := strings.TrimPrefix(inContainer, dir)
			return filepath.Join(filepath.FromSlash(src), filepath.FromSlash(rel))
		}
	}
	t.Errorf("nothing in compose.yaml is mounted at %s", inContainer)
	return ""
}

func TestDeployCompose(t *testing.T) {
	c := loadCompose(t)
	for _, s := range []string{"confdash", "prometheus", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Fatalf("compose.yaml: no service %s", s)
		}
	}
	cd := c.Services["confdash"]
	if got, want := cd.Build, any(".."); got != want {
		t.Errorf("confdash build: %v, want %v (the repository's Dockerfile)", got, want)
	}
	if _, err := os.Stat(filepath.Join("..", "Dockerfile")); err != nil {
		t.Error(err)
	}
	// The token comes from the host's environment: a bare name passes it
	// through, never a value written in the file.
	if !slices.Contains(cd.Environment, "CONFDASH_ADMIN_TOKEN") {
		t.Errorf("confdash environment %v: want CONFDASH_ADMIN_TOKEN passed from the host", cd.Environment)
	}
	if !slices.ContainsFunc(cd.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data") }) {
		t.Errorf("confdash volumes %v: no volume at /data (the image's state volume)", cd.Volumes)
	}
	if !slices.Contains(cd.Ports, "8080:8080") {
		t.Errorf("confdash ports %v: want 8080:8080", cd.Ports)
	}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				// ./schedule is the operator's: compose creates it empty.
				if _, err := os.Stat(src); err != nil && src != "./schedule" {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s uses volume %s, which compose.yaml does not declare", name, src)
			}
		}
	}

	// Prometheus reads the files of this folder, and its rule files are
	// the ones tested here.
	prom := c.Services["prometheus"]
	if got := hostFor(t, prom.Volumes, "/etc/prometheus/prometheus.yml"); filepath.Clean(got) != "prometheus.yml" {
		t.Errorf("Prometheus reads %s as its configuration, want deploy/prometheus.yml", got)
	}
	pc := loadPrometheusConfig(t)
	for _, rf := range pc.RuleFiles {
		if !path.IsAbs(rf) {
			rf = path.Join("/etc/prometheus", rf)
		}
		if got := hostFor(t, prom.Volumes, rf); filepath.Clean(got) != "alerts.yml" {
			t.Errorf("Prometheus loads rules %s from %s, want deploy/alerts.yml", rf, got)
		}
	}

	// Grafana: provisioning and dashboards mounted where the provider
	// looks, and the data source points at the compose Prometheus.
	gf := c.Services["grafana"]
	prov := hostFor(t, gf.Volumes, "/etc/grafana/provisioning")
	if filepath.Clean(prov) != filepath.Join("grafana", "provisioning") {
		t.Errorf("Grafana provisioning from %s, want deploy/grafana/provisioning", prov)
	}
	for _, p := range dashboardProviders(t) {
		if got := hostFor(t, gf.Volumes, path.Join(p, "confdash.json")); filepath.Clean(got) != filepath.Join("grafana", "dashboards", "confdash.json") {
			t.Errorf("the dashboard provider reads %s, which is %s on the host", p, got)
		}
	}
	for _, u := range dataSourceURLs(t) {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Services[pu.Hostname()]; !ok || !slices.Contains(prom.Ports, pu.Port()+":"+pu.Port()) {
			t.Errorf("Grafana data source %s is not the compose Prometheus (ports %v)", u, prom.Ports)
		}
	}
	for _, e := range gf.Environment {
		if k, v, _ := strings.Cut(e, "="); k == "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH" {
			if got := hostFor(t, gf.Volumes, v); filepath.Clean(got) != filepath.Join("grafana", "dashboards", "confdash.json") {
				t.Errorf("home dashboard %s is %s on the host", v, got)
			}
		}
	}
}

type prometheusConfig struct {
	Global        map[string]any `yaml:"global"`
	RuleFiles     []string       `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func loadPrometheusConfig(t *testing.T) prometheusConfig {
	t.Helper()
	var pc prometheusConfig
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, "prometheus.yml"))))
	dec.KnownFields(true) // every key prometheus.yml uses is one this struct knows
	if err := dec.Decode(&pc); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	return pc
}

func TestDeployPrometheusConfig(t *testing.T) {
	pc := loadPrometheusConfig(t)
	if len(pc.RuleFiles) != 1 || filepath.Clean(pc.RuleFiles[0]) != "alerts.yml" {
		t.Errorf("rule_files %v, want [alerts.yml] (relative to prometheus.yml)", pc.RuleFiles)
	}
	var targets []string
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName != "confdash" {
			continue
		}
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("metrics_path %s, want /metrics", sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	// The ConfdashDown rule selects job="confdash".
	if got, want := targets, []string{"confdash:8080"}; !slices.Equal(got, want) {
		t.Errorf("job confdash targets %v, want %v (the compose service)", got, want)
	}
}

func dashboardProviders(t *testing.T) []string {
	t.Helper()
	var cfg struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	files, _ := filepath.Glob("grafana/provisioning/dashboards/*.yaml")
	if len(files) == 0 {
		t.Fatal("no grafana/provisioning/dashboards/*.yaml")
	}
	var paths []string
	for _, f := range files {
		if err := yaml.Unmarshal(readFile(t, f), &cfg); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cfg.APIVersion != 1 || len(cfg.Providers) == 0 {
			t.Errorf("%s: want apiVersion 1 and a provider", f)
		}
		for _, p := range cfg.Providers {
			if p.Type != "file" || p.Options.Path == "" {
				t.Errorf("%s: provider %s: want type file with options.path", f, p.Name)
			}
			paths = append(paths, p.Options.Path)
		}
	}
	return paths
}

func dataSourceURLs(t *testing.T) []string {
	t.Helper()
	var cfg struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL, Access string
		} `yaml:"datasources"`
	}
	files, _ := filepath.Glob("grafana/provisioning/datasources/*.yaml")
	if len(files) == 0 {
		t.Fatal("no grafana/provisioning/datasources/*.yaml")
	}
	var urls []string
	for _, f := range files {
		if err := yaml.Unmarshal(readFile(t, f), &cfg); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range cfg.Datasources {
			if d.Type != "prometheus" {
				t.Errorf("%s: data source %s of type %q, want prometheus", f, d.Name, d.Type)
			}
			urls = append(urls, d.URL)
		}
	}
	if len(urls) == 0 {
		t.Fatal("no data source provisioned")
	}
	return urls
}

// dsRef is a Grafana data source reference.
type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *dsRef `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource *dsRef `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"` // inside collapsed rows
}

type dashboardJSON struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Annotations   struct {
		List []struct {
			Name       string `json:"name"`
			BuiltIn    int    `json:"builtIn"`
			Datasource *dsRef `json:"datasource"`
			Expr       string `json:"expr"`
			Enable     bool   `json:"enable"`
		} `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *dsRef          `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

const dashboardFile = "grafana/dashboards/confdash.json"

func loadDashboard(t *testing.T) dashboardJSON {
	t.Helper()
	var d dashboardJSON
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, dashboardFile))))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// grafanaVars are Grafana's variables in a query: the interval ones become
// a duration, the dashboard's own (instance) a regexp matching everything,
// so that Prometheus' parser can read the expression.
var grafanaVars = regexp.MustCompile(`\$\{?(__rate_interval|__interval|__range)\}?|\$\{?(\w+)(:\w+)?\}?`)

func expandGrafana(expr string) string {
	return grafanaVars.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.Contains(v, "__") {
			return "5m"
		}
		return ".*"
	})
}

func allPanels(ps []dashPanel) []dashPanel {
	var out []dashPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// dashboardSelectors are the series the dashboard queries: panel targets,
// annotations and the instance variable.
func dashboardSelectors(t *testing.T, d dashboardJSON) []selector {
	t.Helper()
	var out []selector
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			out = append(out, selectors(t, fmt.Sprintf("panel %q %s", p.Title, tg.RefID), expandGrafana(tg.Expr))...)
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out = append(out, selectors(t, "annotation "+a.Name, expandGrafana(a.Expr))...)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((\w+), *(\w+)\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: query %q, want label_values(metric, label)", v.Name, v.Definition)
			continue
		}
		out = append(out, selector{metric: m[1], where: "variable " + v.Name})
	}
	return out
}

func TestDeployDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: want both", d.UID, d.Title)
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d, want 36..41 (Grafana 9.4 to 12)", d.SchemaVersion)
	}
	// The data source is a variable, so the board works with any
	// Prometheus, and every query uses it.
	var dsVar bool
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"` {
			dsVar = true
		}
	}
	if !dsVar {
		t.Fatal("no datasource variable of type prometheus")
	}
	usesVar := func(ref *dsRef) bool { return ref != nil && ref.Type == "prometheus" && ref.UID == "${datasource}" }
	for _, v := range d.Templating.List {
		if v.Type == "query" && !usesVar(v.Datasource) {
			t.Errorf("variable %s: data source %+v, want ${datasource}", v.Name, v.Datasource)
		}
	}
	for _, a := range d.Annotations.List {
		if a.BuiltIn == 0 && !usesVar(a.Datasource) {
			t.Errorf("annotation %s: data source %+v, want ${datasource}", a.Name, a.Datasource)
		}
	}

	ids := map[int]string{}
	var cells [][24]string // occupied grid cells, by row
	for _, p := range allPanels(d.Panels) {
		if prev, ok := ids[p.ID]; ok {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		if !usesVar(p.Datasource) {
			t.Errorf("panel %q: data source %+v, want ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Expr == "" || !usesVar(tg.Datasource) {
				t.Errorf("panel %q query %s: expr %q, data source %+v", p.Title, tg.RefID, tg.Expr, tg.Datasource)
			}
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24 columns", p.Title, g)
			continue
		}
		for y := g.Y; y < g.Y+g.H; y++ {
			for len(cells) <= y {
				cells = append(cells, [24]string{})
			}
			for x := g.X; x < g.X+g.W; x++ {
				if other := cells[y][x]; other != "" {
					t.Errorf("panels %q and %q overlap at (%d, %d)", other, p.Title, x, y)
				}
				cells[y][x] = p.Title
			}
		}
	}

	// What the board must show: viewers per track with session changes,
	// peaks per session, delays, broadcast latency, connections opened and
	// closed, refresh health.
	used := map[string]bool{}
	for _, s := range dashboardSelectors(t, d) {
		used[s.metric] = true
	}
	for _, m := range []string{
		"confdash_viewers", "confdash_schedule_transitions_total", "confdash_session_peak_viewers",
		"confdash_track_delay_seconds", "confdash_broadcast_duration_seconds_bucket",
		"confdash_connections_opened_total", "confdash_connections_closed_total", "confdash_schedule_reloads_total",
	} {
		if !used[m] {
			t.Errorf("the dashboard does not query %s", m)
		}
	}
	var sessionMarks bool
	for _, a := range d.Annotations.List {
		sessionMarks = sessionMarks || (a.Enable && strings.Contains(a.Expr, "confdash_schedule_transitions_total"))
	}
	if !sessionMarks {
		t.Error("no enabled annotation marks session changes (confdash_schedule_transitions_total)")
	}
}

// exported is what a scrape shows: every series name (histograms as their
// _bucket, _sum and _count) with the label names it carries.
type exported map[string]map[string]bool

func scrape(t *testing.T, base string) exported {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := exported{}
	add := func(name string, extra string, lps map[string]bool) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for l := range lps {
			out[name][l] = true
		}
		if extra != "" {
			out[name][extra] = true
		}
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			lps := map[string]bool{}
			for _, lp := range m.GetLabel() {
				lps[lp.GetName()] = true
			}
			switch f.GetType().String() {
			case "HISTOGRAM":
				add(name+"_bucket", "le", lps)
				add(name+"_sum", "", lps)
				add(name+"_count", "", lps)
			case "SUMMARY":
				add(name, "quantile", lps)
				add(name+"_sum", "", lps)
				add(name+"_count", "", lps)
			default:
				add(name, "", lps)
			}
		}
	}
	return out
}

// TestDeployMetricsExported scrapes a real confdash, with a viewer, an
// announcement, a reload and a session change behind it so that every
// labelled metric has samples, and checks that every series the rules and
// the dashboard query is one it exports, with the labels they match on.
func TestDeployMetricsExported(t *testing.T) {
	srv := startServer(t)
	got := scrape(t, srv.base)

	used := append(ruleSelectors(t), dashboardSelectors(t, loadDashboard(t))...)
	usedNames := map[string]bool{}
	for _, s := range used {
		usedNames[s.metric] = true
		if _, ok := notExported[s.metric]; ok {
			continue
		}
		lbls, ok := got[s.metric]
		if !ok {
			t.Errorf("%s: %s is not a metric confdash exports", s.where, s.metric)
			continue
		}
		for _, l := range s.labels {
			// instance and job are the labels Prometheus adds to a scrape.
			if !lbls[l] && l != "instance" && l != "job" {
				t.Errorf("%s: %s has no label %q (it has %v)", s.where, s.metric, l, slices.Sorted(mapKeys(lbls)))
			}
		}
	}
	for name, why := range notExported {
		if _, ok := got[name]; ok {
			t.Errorf("%s (%s) is exported now: drop it from notExported", name, why)
		}
		if !usedNames[name] {
			t.Errorf("%s (%s) is in notExported but nothing uses it", name, why)
		}
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

const adminToken = "deploy-test-token"

// testServer is a confdash running in this process on the built-in demo.
type testServer struct {
	base  string // http://127.0.0.1:PORT
	track string // a track with a session playing
}

// startServer runs the demo and drives it through what an operator's day
// has, so that every labelled metric has samples: a viewer watching a
// track, a refused websocket, an announcement, a session change, a failed
// reload (its schedule file does not exist). Each step is waited for on a
// real event, never a sleep.
func startServer(t *testing.T) testServer {
	t.Helper()
	wall := time.Now()
	sc := demo.Schedule(wall)
	next := schedule.Compute(sc, schedule.Adjustments{}, wall).NextChange
	if next.IsZero() {
		t.Fatal("the demo has no next change")
	}
	// Watch a track that plays a session on both sides of the change.
	var track string
	before := schedule.Compute(sc, schedule.Adjustments{}, next.Add(-time.Second))
	after := schedule.Compute(sc, schedule.Adjustments{}, next)
	for i, ts := range before.Tracks {
		if ts.Now != nil && after.Tracks[i].Now != nil && ts.Now.ID != after.Tracks[i].Now.ID {
			track = ts.Track.ID
			break
		}
	}
	if track == "" {
		t.Fatal("no demo track changes session at the next change")
	}
	clock := testserver.NewClock(next.Add(-time.Second))
	dir := t.TempDir()
	srv, err := server.New(server.Config{
		Schedule:     sc,
		SchedulePath: filepath.Join(dir, "missing.yaml"),
		StatePath:    filepath.Join(dir, "state.json"),
		Clock:        clock,
		AdminToken:   adminToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	run := testserver.Start(t, srv)
	ts := testServer{base: run.Base, track: track}
	wsBase := run.WS

	if _, resp, err := websocket.DefaultDialer.Dial(wsBase+"?view=billboard", nil); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("websocket with an unknown view: %v %v, want 400", err, resp)
	}
	ws, resp, err := websocket.DefaultDialer.Dial(wsBase+"?view=tab&watch="+track, nil)
	if err != nil {
		t.Fatalf("websocket: %v (%v)", err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	// The viewers message follows the count (and the session's peak); only
	// the organizers' view receives it.
	// The console's token rides in a subprotocol, never in the URL.
	admin, resp, err := websocket.DefaultDialer.Dial(wsBase+"?view=admin", http.Header{
		"Sec-WebSocket-Protocol": {"confdash.v1, bearer." + base64.RawURLEncoding.EncodeToString([]byte(adminToken))}})
	if err != nil {
		t.Fatalf("admin websocket: %v (%v)", err, resp)
	}
	t.Cleanup(func() { admin.Close() })
	admin.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var m struct {
			Type  string `json:"type"`
			Total int    `json:"total"`
		}
		if err := admin.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for the viewer to be counted: %v", err)
		}
		if m.Type == "viewers" && m.Total > 0 {
			break
		}
	}

	post := func(path, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %s %s, want %d", path, resp.Status, b, want)
		}
	}
	// Move the clock onto the change; the announcement recomputes the
	// state at once, inside the request, so the change is counted when it
	// answers.
	clock.Set(next)
	post("/api/v1/announcements", `{"text":"Lunch is served in the foyer"}`, http.StatusCreated)
	post("/api/v1/reload", ``, http.StatusBadGateway)
	return ts
}

// TestDeployAlertRules has Prometheus itself check prometheus.yml (with the
// rule files it names) and run the unit tests of alerts_test.yml: synthetic
// series in, alerts out, for every alert.
func TestDeployAlertRules(t *testing.T) {
	promtool := needTool(t, "promtool")
	out, err := exec.Command(promtool, "check", "config", "prometheus.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config prometheus.yml: %v\n%s", err, out)
	}

	// The tests pin behaviour (expressions, for, labels); the annotations'
	// templates are checked by TestDeployRules, so they are left out here
	// rather than repeated word for word in the tests.
	var rules yaml.Node
	if err := yaml.Unmarshal(readFile(t, "alerts.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	var strip func(n *yaml.Node)
	strip = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "annotations" {
					n.Content = slices.Delete(n.Content, i, i+2)
					i -= 2
				}
			}
		}
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(&rules)
	stripped, err := yaml.Marshal(&rules)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests := readFile(t, "alerts_test.yml")
	for name, data := range map[string][]byte{"alerts.yml": stripped, "alerts_test.yml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "test", "rules", "alerts_test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules alerts_test.yml: %v\n%s", err, out)
	}

	// Every alert has a test in which it fires.
	var suite struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(tests, &suite); err != nil {
		t.Fatal(err)
	}
	fires := map[string]bool{}
	for _, tc := range suite.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	for _, a := range wantAlerts {
		if !fires[a] {
			t.Errorf("alerts_test.yml: no test in which %s fires", a)
		}
	}
}
