package native

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
	"go.yaml.in/yaml/v3"
)

var (
	rootFields    = []string{"name", "timezone", "language", "tracks", "sessions"}
	trackFields   = []string{"id", "name", "guid", "stage_warn_minutes", "stage_danger_minutes", "stream_url"}
	sessionFields = []string{"id", "track", "title", "kind", "start", "end", "duration", "speakers", "abstract", "url", "tags",
		"subtitle", "language", "type", "do_not_record", "do_not_stream", "feedback_url"}
	speakerFields = []string{"name", "affiliation"}

	yamlErrorRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

	// Wall-clock layouts, tried in order. The same layouts followed by an
	// offset ("+01:00" or "Z") pin an instant that a daylight-saving change
	// makes ambiguous.
	timeLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}
)

// Parse reads the native format (docs/schedule-format.md): YAML, or the
// same structure as JSON. It walks the yaml.Node tree instead of decoding
// into structs so that every problem is reported with its line and field,
// and all of them at once, as Errors sorted by line.
//
// Local times are resolved in the conference's zone. A wall-clock time that
// happens twice (the hour repeated when daylight saving time ends) is read as
// its first occurrence, and a warning says how to write the second one: with
// an explicit offset, "2026-10-25 02:30+01:00". A wall-clock time that does
// not exist (skipped when daylight saving time starts) is an error. An
// explicit offset must be the zone's offset at that instant. A duration is
// elapsed time: "duration: 3h" from 01:30 on the night clocks go back ends at
// 03:30 on the wall clock.
func Parse(name string, data []byte) (*schedule.Schedule, []schedule.Diagnostic, error) {
	p := &parser{file: name}
	s := p.parse(data)
	build.SortDiagnostics(p.errs)
	build.SortDiagnostics(p.warns)
	if len(p.errs) > 0 {
		return nil, p.warns, schedule.Errors(p.errs)
	}
	return s, p.warns, nil
}

// parser collects diagnostics while walking one source.
type parser struct {
	file    string
	errs    []schedule.Diagnostic
	warns   []schedule.Diagnostic
	trackAt map[string]place // where each track is declared
}

// place is a place in the source.
type place struct {
	line int
	path string
}

// entry is one key: value pair of a mapping.
type entry struct {
	key, val *yaml.Node
}

// session is a session being read, with what the checks that span
// sessions need to point back at it.
type session struct {
	schedule.Session
	path    string
	line    int // first line of the session's mapping
	idLine  int // line of its id, when given
	hasID   bool
	startLn int
	valid   bool // track, start and end are known: it takes part in overlap checks and days
}

func (p *parser) errorf(line int, field, format string, args ...any) {
	p.errs = append(p.errs, schedule.Diagnosticf(p.file, line, field, format, args...))
}

func (p *parser) warnf(line int, field, format string, args ...any) {
	p.warns = append(p.warns, schedule.Diagnosticf(p.file, line, field, format, args...))
}

func (p *parser) parse(data []byte) *schedule.Schedule {
	root := p.decode(data)
	if root == nil {
		return nil
	}
	m, ok := p.mapping(root, "", rootFields)
	if !ok {
		return nil
	}
	s := &schedule.Schedule{Format: schedule.FormatNative}

	if e, ok := m["name"]; ok {
		v, _ := p.scalar(e.val, "name")
		s.Name = strings.TrimSpace(v)
	}
	if s.Name == "" {
		p.warnf(root.Line, "name", "no conference name: screens will show none; add name: Your Conference 2026")
	}

	s.Language = p.language(m)
	s.Location = p.zone(root, m)
	if s.Location != nil {
		s.TimeZone = s.Location.String()
	}
	// With a bad zone the times are still read, in UTC, so that their own
	// mistakes are reported in the same pass; the result is discarded.
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}

	s.Tracks = p.tracks(root, m)
	known := make(map[string]bool, len(s.Tracks))
	for _, t := range s.Tracks {
		known[t.ID] = true
	}

	sessions := p.sessions(root, m, loc, s.Tracks, known)
	p.checkIDs(sessions, loc)
	p.checkOverlaps(sessions, loc)

	used := make(map[string]bool, len(s.Tracks))
	for _, ns := range sessions {
		used[ns.Track] = true
	}
	for _, t := range s.Tracks {
		if !used[t.ID] && len(sessions) > 0 {
			at := p.trackAt[t.ID]
			p.warnf(at.line, at.path, "track %q has no sessions: its screen will stay empty", t.ID)
		}
	}

	s.Sessions = make([]schedule.Session, len(sessions))
	for i := range sessions {
		s.Sessions[i] = sessions[i].Session
	}
	s.Days = build.Days(s.Sessions, loc, nil, nil)
	return s
}

// decode parses the YAML text and returns the root node of its only
// document, or nil after reporting why there is none.
func (p *parser) decode(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(0, "", "the file is empty: a schedule needs name, timezone, tracks and sessions")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(extra.Line, "", "a second YAML document starts here: a schedule file holds exactly one (remove the ---)")
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	}
	if len(doc.Content) == 0 {
		p.errorf(0, "", "the file is empty: a schedule needs name, timezone, tracks and sessions")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "", "a schedule is a mapping with name, timezone, tracks and sessions, not %s", kindName(root))
		return nil
	}
	return root
}

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlErrorRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errorf(line, "", "not valid YAML: %s", m[2])
		return
	}
	p.errorf(0, "", "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// mapping returns the entries of n by key, reporting unknown and repeated
// keys: a typo must not silently drop data.
func (p *parser) mapping(n *yaml.Node, path string, allowed []string) (map[string]entry, bool) {
	if n.Kind != yaml.MappingNode {
		p.typeError(n, path, "a mapping ("+strings.Join(allowed, ", ")+")")
		return nil, false
	}
	m := make(map[string]entry, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, path, "keys must be plain field names")
			continue
		}
		field := join(path, k.Value)
		switch {
		case k.Value == "<<":
			p.errorf(k.Line, path, "merge keys (<<) are not supported: write the fields out")
		case !slices.Contains(allowed, k.Value):
			hint := ""
			if s := suggest(k.Value, allowed); s != "" {
				hint = fmt.Sprintf("did you mean %q? ", s)
			}
			p.errorf(k.Line, field, "unknown field: %sthe fields here are %s", hint, strings.Join(allowed, ", "))
		default:
			if prev, dup := m[k.Value]; dup {
				p.errorf(k.Line, field, "given twice (first on line %d)", prev.key.Line)
				continue
			}
			m[k.Value] = entry{key: k, val: v}
		}
	}
	return m, true
}

// scalar returns the text of a single value; a null reads as "". ok is false,
// after reporting, when v is a list or a mapping.
func (p *parser) scalar(v *yaml.Node, field string) (string, bool) {
	if v.Kind == yaml.ScalarNode {
		if v.ShortTag() == "!!null" {
			return "", true
		}
		return v.Value, true
	}
	p.typeError(v, field, "a single value")
	return "", false
}

// sequence returns the items of a list; a null reads as no items.
func (p *parser) sequence(v *yaml.Node, field string) ([]*yaml.Node, bool) {
	switch {
	case v.Kind == yaml.SequenceNode:
		return v.Content, true
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		return nil, true
	}
	p.typeError(v, field, "a list")
	return nil, false
}

func (p *parser) typeError(v *yaml.Node, field, want string) {
	if v.Kind == yaml.AliasNode {
		p.errorf(v.Line, field, "aliases (*%s) are not supported: write the value out", v.Value)
		return
	}
	p.errorf(v.Line, field, "must be %s, not %s", want, kindName(v))
}

// required returns the non-empty text of a field, or reports it missing.
func (p *parser) required(n *yaml.Node, m map[string]entry, path, key, hint string) (string, *yaml.Node, bool) {
	field := join(path, key)
	e, ok := m[key]
	if !ok {
		p.errorf(n.Line, field, "missing: %s", hint)
		return "", nil, false
	}
	v, ok := p.scalar(e.val, field)
	if !ok {
		return "", nil, false
	}
	v = strings.TrimSpace(v)
	if v == "" {
		p.errorf(e.val.Line, field, "empty: %s", hint)
		return "", nil, false
	}
	return v, e.val, true
}

// languageRE is the shape of a BCP 47 language tag as schedules write
// them: a language, then subtags ("de", "pt-BR", "zh-Hant-TW").
var languageRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// language reads the optional conference language, normalised to lower
// case language and upper case region ("pt-br" reads as "pt-BR").
func (p *parser) language(m map[string]entry) string {
	e, ok := m["language"]
	if !ok {
		return ""
	}
	v, ok := p.scalar(e.val, "language")
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return ""
	}
	if !languageRE.MatchString(v) {
		p.errorf(e.val.Line, "language", "%q is not a language tag: write the conference's main language as a BCP 47 tag, e.g. language: de or language: pt-BR", v)
		return ""
	}
	parts := strings.Split(v, "-")
	parts[0] = strings.ToLower(parts[0])
	for i := 1; i < len(parts); i++ {
		if len(parts[i]) == 2 {
			parts[i] = strings.ToUpper(parts[i])
		}
	}
	return strings.Join(parts, "-")
}

func (p *parser) zone(root *yaml.Node, m map[string]entry) *time.Location {
	const hint = "the conference's IANA time zone, e.g. timezone: Europe/Berlin"
	name, v, ok := p.required(root, m, "", "timezone", hint)
	if !ok {
		return nil
	}
	// "Local" would make the schedule mean different instants on different
	// machines; offsets like "+02:00" cannot follow daylight saving time.
	if name == "Local" {
		p.errorf(v.Line, "timezone", "%q depends on the machine: use an IANA name, e.g. Europe/Berlin", name)
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		p.errorf(v.Line, "timezone", "unknown time zone %q: use an IANA name such as America/Los_Angeles or Europe/Berlin", name)
		return nil
	}
	return loc
}

// nonEmptyList returns the items of the list under key, which must be there
// and hold at least one; hint says what belongs in it. It returns nil after
// reporting why there are none.
func (p *parser) nonEmptyList(root *yaml.Node, m map[string]entry, key, hint string) []*yaml.Node {
	e, ok := m[key]
	if !ok {
		p.errorf(root.Line, key, "missing: %s", hint)
		return nil
	}
	items, ok := p.sequence(e.val, key)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(e.val.Line, key, "empty: %s", hint)
		return nil
	}
	return items
}

// item is one mapping of a list (a track, a speaker) with the value of the
// field it requires.
type item struct {
	node  *yaml.Node
	m     map[string]entry
	path  string     // e.g. tracks[2]
	value string     // the required field's text
	at    *yaml.Node // the required field's value
}

// items reads a list of mappings with the fields allowed, each requiring key
// (hint says what it holds). An entry that is not such a mapping is reported
// and left out.
func (p *parser) items(list []*yaml.Node, path string, allowed []string, key, hint string) []item {
	var out []item
	for i, n := range list {
		ip := fmt.Sprintf("%s[%d]", path, i)
		m, ok := p.mapping(n, ip, allowed)
		if !ok {
			continue
		}
		v, vn, ok := p.required(n, m, ip, key, hint)
		if !ok {
			continue
		}
		out = append(out, item{node: n, m: m, path: ip, value: v, at: vn})
	}
	return out
}

func (p *parser) tracks(root *yaml.Node, m map[string]entry) []schedule.Track {
	items := p.nonEmptyList(root, m, "tracks", "list at least one track (id and name)")
	if items == nil {
		return nil
	}
	var tracks []schedule.Track
	p.trackAt = map[string]place{}
	for _, it := range p.items(items, "tracks", trackFields, "id", "a slug such as main-hall, used in URLs") {
		n, tm, path, id, idNode := it.node, it.m, it.path, it.value, it.at
		if !build.IsSlug(id) {
			p.errorf(idNode.Line, path+".id", "%q is not a slug: use lowercase letters, digits and single dashes, at most %d characters (e.g. %q)", id, build.MaxTrackID, build.Slug(id))
			continue
		}
		if first, dup := p.trackAt[id]; dup {
			p.errorf(idNode.Line, path+".id", "duplicate track id %q (first on line %d)", id, first.line)
			continue
		}
		p.trackAt[id] = place{line: idNode.Line, path: path}
		t := schedule.Track{ID: id}
		if ne, ok := tm["name"]; ok {
			v, _ := p.scalar(ne.val, path+".name")
			t.Name = strings.TrimSpace(v)
		}
		if t.Name == "" {
			p.warnf(n.Line, path+".name", "no name: screens will show the id %q", id)
			t.Name = id
		}
		if ge, ok := tm["guid"]; ok {
			v, _ := p.scalar(ge.val, path+".guid")
			t.GUID = strings.TrimSpace(v)
		}
		p.stageThresholds(&t, tm, path)
		t.StreamURL = p.webURL(tm, path, "stream_url")
		tracks = append(tracks, t)
	}
	return tracks
}

// stageThresholds reads a track's stage_warn_minutes and
// stage_danger_minutes: whole minutes, with 0 < danger < warn <= 120 once
// the defaults fill in what the track leaves out (a red before the amber
// would skip the warning).
func (p *parser) stageThresholds(t *schedule.Track, tm map[string]entry, path string) {
	read := func(key string, into *int) (int, bool) {
		e, ok := tm[key]
		if !ok {
			return 0, true
		}
		field := path + "." + key
		v, ok := p.scalar(e.val, field)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > schedule.MaxStageMinutes {
			p.errorf(e.val.Line, field, "%q is not a number of minutes: write a whole number from 1 to %d", v, schedule.MaxStageMinutes)
			return 0, false
		}
		*into = n
		return e.val.Line, true
	}
	warnLine, okW := read("stage_warn_minutes", &t.StageWarnMinutes)
	dangerLine, okD := read("stage_danger_minutes", &t.StageDangerMinutes)
	if !okW || !okD {
		return
	}
	if warn, danger := t.StageThresholds(); danger >= warn {
		line, field := max(warnLine, dangerLine), path+".stage_danger_minutes"
		if dangerLine == 0 {
			field = path + ".stage_warn_minutes"
		}
		p.errorf(line, field, "the stage view turns red at %d minutes left, which must come after it turns amber at %d: make stage_danger_minutes smaller than stage_warn_minutes (defaults %d and %d)",
			danger, warn, schedule.DefaultStageDangerMinutes, schedule.DefaultStageWarnMinutes)
	}
}

func (p *parser) sessions(root *yaml.Node, m map[string]entry, loc *time.Location, tracks []schedule.Track, known map[string]bool) []session {
	items := p.nonEmptyList(root, m, "sessions", "list the sessions (track, title, start, end)")
	if items == nil {
		return nil
	}
	trackIDs := make([]string, len(tracks))
	for i, t := range tracks {
		trackIDs[i] = t.ID
	}
	out := make([]session, 0, len(items))
	for i, n := range items {
		if ns, ok := p.session(n, i, loc, trackIDs, known); ok {
			out = append(out, ns)
		}
	}
	return out
}

func (p *parser) session(n *yaml.Node, i int, loc *time.Location, trackIDs []string, known map[string]bool) (session, bool) {
	path := fmt.Sprintf("sessions[%d]", i)
	ns := session{path: path, line: n.Line}
	m, ok := p.mapping(n, path, sessionFields)
	if !ok {
		return ns, false
	}
	ns.Kind = schedule.KindTalk

	if e, ok := m["id"]; ok {
		if v, ok := p.scalar(e.val, path+".id"); ok {
			if v = strings.TrimSpace(v); v == "" {
				p.errorf(e.val.Line, path+".id", "empty: give an id or remove the field to have one derived")
			} else {
				ns.ID, ns.hasID, ns.idLine = v, true, e.val.Line
			}
		}
	}

	trackOK := false
	if v, vn, ok := p.required(n, m, path, "track", "the id of one of the tracks"); ok {
		if known[v] {
			ns.Track, trackOK = v, true
		} else {
			p.errorf(vn.Line, path+".track", "unknown track %q: declare it under tracks (known: %s)", v, strings.Join(trackIDs, ", "))
		}
	}

	if v, _, ok := p.required(n, m, path, "title", "what the screens show"); ok {
		ns.Title = v
	}

	if e, ok := m["kind"]; ok {
		if v, ok := p.scalar(e.val, path+".kind"); ok {
			k := schedule.Kind(strings.TrimSpace(v))
			if !k.Valid() {
				names := make([]string, len(schedule.Kinds))
				for i, k := range schedule.Kinds {
					names[i] = string(k)
				}
				p.errorf(e.val.Line, path+".kind", "unknown kind %q: use one of %s (default talk)", v, strings.Join(names, ", "))
			} else {
				ns.Kind = k
			}
		}
	}

	startOK, endOK := false, false
	if v, vn, ok := p.required(n, m, path, "start", "when it starts, e.g. 2026-10-06 09:30"); ok {
		ns.startLn = vn.Line
		ns.Start, startOK = p.time(v, vn, path+".start", loc)
	}
	_, hasEnd := m["end"]
	dur, hasDur := m["duration"]
	switch {
	case hasEnd && hasDur:
		p.errorf(dur.key.Line, path+".duration", "give end or duration, not both")
	case hasEnd:
		if v, vn, ok := p.required(n, m, path, "end", "when it ends"); ok {
			var t time.Time
			if t, ok = p.time(v, vn, path+".end", loc); ok && startOK {
				if !t.After(ns.Start) {
					p.errorf(vn.Line, path+".end", "must be after start (%s)", show(ns.Start, loc))
				} else if d := t.Sub(ns.Start); d > schedule.MaxSessionDuration {
					p.errorf(vn.Line, path+".end", "the session would last %s, more than %s: check the date", d, schedule.MaxSessionDuration)
				} else {
					ns.End, endOK = t, true
				}
			}
		}
	case hasDur:
		if v, vn, ok := p.required(n, m, path, "duration", "how long it lasts, e.g. 30m or 1h15m"); ok {
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
				p.errorf(vn.Line, path+".duration", "%q is not a duration: write e.g. 30m, 45m or 1h15m", v)
			case d < 0:
				p.errorf(vn.Line, path+".duration", "must be positive: %s is negative; write how long the session lasts, e.g. 30m, or give its end", v)
			case d == 0:
				p.errorf(vn.Line, path+".duration", "must be positive")
			case d > schedule.MaxSessionDuration:
				p.errorf(vn.Line, path+".duration", "%s is more than %s: a session cannot last that long; check the value", v, schedule.MaxSessionDuration)
			case startOK:
				ns.End, endOK = ns.Start.Add(d), true
			}
		}
	default:
		p.errorf(n.Line, path+".end", "missing: give end (e.g. 2026-10-06 10:00) or duration (e.g. 30m)")
	}
	ns.valid = trackOK && startOK && endOK

	if e, ok := m["speakers"]; ok {
		ns.Speakers = p.speakers(e.val, path+".speakers")
	}
	if e, ok := m["abstract"]; ok {
		v, _ := p.scalar(e.val, path+".abstract")
		ns.Abstract = strings.TrimSpace(v)
	}
	ns.URL = p.webURL(m, path, "url")
	ns.FeedbackURL = p.webURL(m, path, "feedback_url")
	for _, f := range []struct {
		key string
		dst *string
	}{{"subtitle", &ns.Subtitle}, {"language", &ns.Language}, {"type", &ns.Type}} {
		if e, ok := m[f.key]; ok {
			v, _ := p.scalar(e.val, path+"."+f.key)
			*f.dst = strings.TrimSpace(v)
		}
	}
	ns.DoNotRecord = p.flag(m, path, "do_not_record")
	ns.DoNotStream = p.flag(m, path, "do_not_stream")
	if e, ok := m["tags"]; ok {
		items, _ := p.sequence(e.val, path+".tags")
		for j, t := range items {
			field := fmt.Sprintf("%s.tags[%d]", path, j)
			if v, ok := p.scalar(t, field); ok {
				if v = strings.TrimSpace(v); v == "" {
					p.errorf(t.Line, field, "empty tag: remove it")
				} else {
					ns.Tags = append(ns.Tags, v)
				}
			}
		}
	}
	return ns, true
}

// webURL reads an optional link field. Pages turn it into a link: only web
// addresses, never javascript: or data: URLs.
func (p *parser) webURL(m map[string]entry, path, key string) string {
	e, ok := m[key]
	if !ok {
		return ""
	}
	v, ok := p.scalar(e.val, path+"."+key)
	if v = strings.TrimSpace(v); !ok || v == "" {
		return ""
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.errorf(e.val.Line, path+"."+key, "%q is not a web address: use an absolute http(s) URL", v)
		return ""
	}
	return v
}

// flag reads an optional yes/no field, which must be true or false: a typo
// in an opt-out must not silently allow a recording.
func (p *parser) flag(m map[string]entry, path, key string) bool {
	e, ok := m[key]
	if !ok {
		return false
	}
	if e.val.Kind == yaml.ScalarNode && e.val.ShortTag() == "!!bool" {
		var b bool
		if err := e.val.Decode(&b); err == nil {
			return b
		}
	}
	p.typeError(e.val, path+"."+key, "true or false")
	return false
}

func (p *parser) speakers(v *yaml.Node, path string) []schedule.Speaker {
	items, _ := p.sequence(v, path)
	var out []schedule.Speaker
	for _, it := range p.items(items, path, speakerFields, "name", "the speaker's name") {
		m, sp, name := it.m, it.path, it.value
		s := schedule.Speaker{Name: name}
		if e, ok := m["affiliation"]; ok {
			a, _ := p.scalar(e.val, sp+".affiliation")
			s.Affiliation = strings.TrimSpace(a)
		}
		out = append(out, s)
	}
	return out
}

// time reads a local time in loc, with an optional offset that pins an
// ambiguous wall-clock time (see Parse).
func (p *parser) time(v string, n *yaml.Node, field string, loc *time.Location) (time.Time, bool) {
	t, ok := p.readTime(v, n, field, loc)
	if !ok {
		return t, false
	}
	if err := schedule.CheckServable(t); err != nil {
		p.errorf(n.Line, field, "%v", err)
		return time.Time{}, false
	}
	return t, ok
}

// readTime is time without the range check.
func (p *parser) readTime(v string, n *yaml.Node, field string, loc *time.Location) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout+"Z07:00", v); err == nil {
			in := t.In(loc)
			_, given := t.Zone()
			if _, off := in.Zone(); off != given {
				p.errorf(n.Line, field, "offset %s is not %s's offset at that instant (%s): write %s",
					t.Format("Z07:00"), loc, in.Format("-07:00"), in.Format("2006-01-02 15:04-07:00"))
				return time.Time{}, false
			}
			return in, true
		}
	}
	for _, layout := range timeLayouts {
		w, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		cands := build.LocalCandidates(w, loc)
		switch len(cands) {
		case 0:
			p.errorf(n.Line, field, "%s does not exist in %s: the clocks skip it when daylight saving time starts", v, loc)
			return time.Time{}, false
		case 2:
			first, second := cands[0], cands[1]
			p.warnf(n.Line, field, "%s happens twice in %s (the clocks go back); read as the first, %s; write %s for the second",
				v, loc, first.Format("2006-01-02 15:04-07:00"), second.Format("2006-01-02 15:04-07:00"))
		}
		return cands[0], true
	}
	p.errorf(n.Line, field, "%q is not a time: write YYYY-MM-DD HH:MM in the conference's time zone, e.g. 2026-10-06 09:30", v)
	return time.Time{}, false
}

// checkIDs reports duplicate ids and derives the missing ones from track and
// start, after every given id is known so that a derived id never takes one
// an organizer wrote.
func (p *parser) checkIDs(sessions []session, loc *time.Location) {
	first := map[string]int{}
	for i := range sessions {
		ns := &sessions[i]
		if !ns.hasID {
			continue
		}
		if j, dup := first[ns.ID]; dup {
			p.errorf(ns.idLine, ns.path+".id", "duplicate id %q (first on line %d): session ids are unique", ns.ID, sessions[j].idLine)
			continue
		}
		first[ns.ID] = i
	}
	ids := build.NewIDs()
	for id := range first {
		ids.Reserve(id)
	}
	for i := range sessions {
		ns := &sessions[i]
		if ns.hasID || ns.Track == "" || ns.Start.IsZero() {
			continue
		}
		ns.ID = ids.Unique(build.DerivedID(ns.Track, ns.Start, loc))
	}
}

// checkOverlaps reports a session that starts before an earlier one of its
// track has ended. Back-to-back is fine.
func (p *parser) checkOverlaps(sessions []session, loc *time.Location) {
	byTrack := map[string][]*session{}
	for i := range sessions {
		if ns := &sessions[i]; ns.valid {
			byTrack[ns.Track] = append(byTrack[ns.Track], ns)
		}
	}
	for track, list := range byTrack {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		var longest *session // the session ending last so far: it catches one inside another
		for _, cur := range list {
			if longest != nil && cur.Start.Before(longest.End) {
				p.errorf(cur.startLn, cur.path+".start", "overlaps %q (line %d, %s to %s) on track %q: sessions of one track may not overlap; move one or put it on another track",
					longest.Title, longest.line, show(longest.Start, loc), show(longest.End, loc), track)
			}
			if longest == nil || cur.End.After(longest.End) {
				longest = cur
			}
		}
	}
}

func show(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// suggest returns the allowed field closest to a misspelt one, if any
// is within two edits.
func suggest(got string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(got), a); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
