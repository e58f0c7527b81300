package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/google/go-cmp/cmp"
)

// dirNames lists a directory's entries, to catch temporary files left
// behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// readStateFile decodes the state file at path.
func readStateFile(t *testing.T, path string) stateFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		t.Fatalf("state file %s: %v\n%s", path, err, b)
	}
	return sf
}

// TestStateFileSymlink: a state file that is a symbolic link (to a file on
// a persistent volume) is written through the link. The target gets every
// change and keeps its permissions, the link stays a link, and no temporary
// file is left in either directory. A link to a file not made yet has it
// made where the link points, private to the server's user.
func TestStateFileSymlink(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool        // the target exists before the first write
		mode     fs.FileMode // its permissions then; after a write when new
	}{
		{"existing target keeps its mode", true, 0o640},
		{"target made on the first write", false, 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			volume := filepath.Join(dir, "volume")
			if err := os.Mkdir(volume, 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(volume, "state.json")
			if tc.existing {
				if err := saveState(target, 0, stateFile{}.Adjustments); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(target, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			// A relative link, as `ln -s volume/state.json state.json`
			// makes it: it is resolved from the link's directory.
			link := filepath.Join(dir, "state.json")
			if err := os.Symlink(filepath.Join("volume", "state.json"), link); err != nil {
				t.Fatal(err)
			}

			ts := startServer(t, Config{AdminToken: adminToken, StatePath: link})
			first := ts.announce(t, "Lunch is served in the foyer", "")
			second := ts.announce(t, "Doors close at six", "main")

			fi, err := os.Lstat(link)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("the state file %s was replaced by a file (mode %v); want it still a symbolic link", link, fi.Mode())
			}
			if got, err := os.Readlink(link); err != nil || got != filepath.Join("volume", "state.json") {
				t.Errorf("the link points to %q (%v), want volume/state.json", got, err)
			}
			sf := readStateFile(t, target)
			if got, want := annIDs(sf.Adjustments.Announcements), []string{first.ID, second.ID}; !slices.Equal(got, want) {
				t.Errorf("the link's target holds announcements %v, want %v", got, want)
			}
			ti, err := os.Stat(target)
			if err != nil {
				t.Fatal(err)
			}
			if got := ti.Mode().Perm(); got != tc.mode {
				t.Errorf("the target's mode is %v after the writes, want %v", got, tc.mode)
			}
			if got := dirNames(t, volume); !slices.Equal(got, []string{"state.json"}) {
				t.Errorf("the volume holds %v, want only state.json", got)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{"state.json", "volume"}) {
				t.Errorf("the link's directory holds %v, want only the link and the volume", got)
			}
		})
	}
}

// TestStateDirNotWritable: a state file that cannot be saved stops the
// server at start-up, naming the directory and what to do, instead of
// failing the first announcement on the day. The tests run as root, whom a
// read-only mode does not stop, so the directories here refuse everyone:
// one that does not exist, a regular file where the directory should be,
// and, on Linux, /proc, which exists but takes no new files.
func TestStateDirNotWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "volume")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, state, dir string }{
		{"missing directory", filepath.Join(dir, "missing", "state.json"), filepath.Join(dir, "missing")},
		{"parent is a file", filepath.Join(file, "state.json"), file},
		// A link to a missing volume is the same mistake, seen through it.
		{"link to a missing directory", filepath.Join(dir, "link.json"), filepath.Join(dir, "unmounted")},
	}
	if err := os.Symlink(filepath.Join(dir, "unmounted", "state.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		cases = append(cases, struct{ name, state, dir string }{"directory refusing new files", "/proc/confdash-state.json", "/proc"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow), StatePath: tc.state})
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatalf("New started with the state file %s, which cannot be saved", tc.state)
			}
			for _, want := range []string{tc.state, "directory " + tc.dir, "--state"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"link.json", "volume"}) {
		t.Errorf("the checks left %v behind, want only link.json and volume", got)
	}
}

// logRecords decodes the JSON log lines in b.
func logRecords(t *testing.T, b string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestStateFileValidatedOnLoad: a state file's entries go through the admin
// API's checks at start-up. Each entry the API would refuse is dropped with
// a warning naming the file and the field; the sound ones are served; the
// file as it was is kept beside it, and the state file is rewritten with
// the sound entries, so a second start loads them without a word.
func TestStateFileValidatedOnLoad(t *testing.T) {
	created := testNow.Add(-time.Hour).Format(time.RFC3339)
	ann := func(id, text, track, created string) string {
		return string(mustJSON(map[string]string{"id": id, "text": text, "track": track, "created": created}))
	}
	file := `{"version": 1, "adjustments": {"announcements": [
		` + ann("good1", "Lunch is served in the foyer", "", created) + `,
		` + ann("huge", strings.Repeat("x", 10<<20), "", created) + `,
		` + ann("bell", "Doors\u0007open", "", created) + `,
		` + ann("lost", "Room moved", "nope", created) + `,
		` + ann("badtime", "Coffee soon", "", "yesterday") + `,
		` + ann("notime", "Coffee soon", "", "0001-01-01T00:00:00Z") + `,
		` + ann("good1", "Same id again", "", created) + `,
		` + ann("ghost", "\u200b\u200d\u2060\ufeff", "", created) + `,
		` + ann("bidi", "\u202eevil", "", created) + `,
		` + ann("bad id/..", "Hello", "", created) + `,
		{"id": "backwards", "text": "Ends first", "created": "` + created + `", "expires": "` + testNow.Add(-2*time.Hour).Format(time.RFC3339) + `"},
		{"id": "forever", "text": "Longer than a week", "created": "` + created + `", "expires": "` + testNow.Add(30*24*time.Hour).Format(time.RFC3339) + `"},
		` + ann("good2", "Talks resume\r\nat two", "side", created) + `,
		"not an object"
	], "delays": {
		"main": {"minutes": 12, "from": "` + created + `"},
		"side": {"minutes": 99999, "from": "` + created + `"},
		"nope": {"minutes": 5, "from": "` + created + `"}
	}}}`
	wantDropped := []string{
		"adjustments.announcements[1]", "adjustments.announcements[2]", "adjustments.announcements[3]",
		"adjustments.announcements[4]", "adjustments.announcements[5]", "adjustments.announcements[6]",
		"adjustments.announcements[7]", "adjustments.announcements[8]", "adjustments.announcements[9]",
		"adjustments.announcements[10]", "adjustments.announcements[11]", "adjustments.announcements[13]",
		`adjustments.delays."nope"`, `adjustments.delays."side"`,
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, []byte(file), 0o640); err != nil {
		t.Fatal(err)
	}

	var log testserver.LockedBuffer
	ts := startServer(t, Config{AdminToken: adminToken, StatePath: state, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	d := stateDocOf(t, ts.get(t, "/api/v1/state"))
	want := []schedule.Announcement{{ID: "good1", Text: "Lunch is served in the foyer"}, {ID: "good2", Text: "Talks resume at two", Track: "side"}}
	var got []schedule.Announcement
	for _, a := range d.Announcements {
		got = append(got, schedule.Announcement{ID: a.ID, Text: a.Text, Track: a.Track})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("announcements served (-want +got):\n%s", diff)
	}
	if got := []int{d.Tracks[0].DelayMinutes, d.Tracks[1].DelayMinutes}; !slices.Equal(got, []int{12, 0}) {
		t.Errorf("delays of main and side = %v, want [12 0]", got)
	}

	var fields []string
	for _, r := range logRecords(t, log.String()) {
		if r["field"] == nil {
			continue
		}
		if r["level"] != "WARN" || r["file"] != state || r["problem"] == "" {
			t.Errorf("drop logged as %v, want a warning naming the file and the problem", r)
		}
		if p, _ := r["problem"].(string); len(p) > 300 {
			t.Errorf("a problem of %d bytes was logged: quote less of the entry", len(p))
		}
		f, _ := r["field"].(string)
		fields = append(fields, strings.SplitN(f, " ", 2)[0])
	}
	if diff := cmp.Diff(wantDropped, fields); diff != "" {
		t.Errorf("fields logged as dropped (-want +got):\n%s", diff)
	}

	aside, _ := filepath.Glob(state + ".damaged-*")
	if len(aside) != 1 {
		t.Fatalf("copies beside the state file: %v, want one", aside)
	}
	if b, err := os.ReadFile(aside[0]); err != nil || string(b) != file {
		t.Errorf("the copy does not hold the file as it was (%v)", err)
	}
	if !strings.Contains(log.String(), aside[0]) {
		t.Errorf("the log does not say where the copy is (%s)", aside[0])
	}
	sf := readStateFile(t, state)
	if got := annIDs(sf.Adjustments.Announcements); !slices.Equal(got, []string{"good1", "good2"}) || len(sf.Adjustments.Delays) != 1 {
		t.Errorf("the state file was rewritten with announcements %v and delays %v, want good1, good2 and main's", got, sf.Adjustments.Delays)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the rewritten state file's mode = %v (%v), want 0640 as before", fi.Mode().Perm(), err)
	}

	// A second start finds a sound file: nothing dropped, nothing copied.
	var again testserver.LockedBuffer
	second := startServer(t, Config{AdminToken: adminToken, StatePath: state, Logger: slog.New(slog.NewJSONHandler(&again, nil))})
	if got := annIDs(stateDocOf(t, second.get(t, "/api/v1/state")).Announcements); !slices.Equal(got, []string{"good1", "good2"}) {
		t.Errorf("after a second start: announcements %v, want good1 and good2", got)
	}
	if strings.Contains(again.String(), "dropped") {
		t.Errorf("the second start dropped entries again:\n%s", again.String())
	}
	if aside, _ := filepath.Glob(state + ".damaged-*"); len(aside) != 1 {
		t.Errorf("copies after the second start: %v, want still one", aside)
	}
}

// TestAnnouncementText: an announcement whose text shows nothing, holds
// control characters or leaves a direction override open is refused with a
// 422 saying what to fix; line breaks and tabs become spaces (screens show
// one line). The state file is held to the same rules at start-up: what the
// API refuses is dropped there, what it accepts is loaded as the API would
// store it.
func TestAnnouncementText(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		code       string // the 422's code; empty: accepted
		want       string // the text stored, when accepted
	}{
		{"zero-width only", "\u200b\u200d\u2060\ufeff", "no_visible_text", ""},
		{"spaces and format characters", " \u00a0\u200b\u3000\u2060 ", "no_visible_text", ""},
		{"line separators only", "\u2028\u2029\t", "empty_text", ""},
		{"default-ignorable only", "\u034f\u115f\u3164\uffa0\ufe0f\U000E0100", "no_visible_text", ""},
		{"braille blanks", "\u2800 \u2800", "no_visible_text", ""},
		{"emoji with a variation selector", "\u2764\ufe0f Thanks", "", "\u2764\ufe0f Thanks"},
		{"NUL", "Doors\x00open", "control_character", ""},
		{"bell", "Doors open\x07", "control_character", ""},
		{"DEL", "\x7fDoors open", "control_character", ""},
		{"C1 control", "Doors\u0090open", "control_character", ""},
		{"escape sequence", "\x1b[31mFire\x1b[0m", "control_character", ""},
		{"override left open", "Exit \u202eSIXE", "unbalanced_bidi", ""},
		{"isolate left open", "Exit \u2067left", "unbalanced_bidi", ""},
		{"stray pop", "Exit\u202c here", "unbalanced_bidi", ""},
		{"isolate closed as embedding", "\u2067Exit\u202c", "unbalanced_bidi", ""},
		{"crossed", "\u202bA\u2067B\u202cC\u2069", "unbalanced_bidi", ""},
		{"line breaks and tabs", "Lunch\r\nis served\tin the\u2028foyer\n", "", "Lunch is served in the foyer"},
		{"closed isolate", "Room \u2067\u05d0\u05d5\u05dc\u05dd\u2069 opens", "", "Room \u2067\u05d0\u05d5\u05dc\u05dd\u2069 opens"},
		{"nested controls", "\u202b\u0627\u2066x\u2069\u202c!", "", "\u202b\u0627\u2066x\u2069\u202c!"},
		{"emoji with a joiner", "\U0001F469\u200d\U0001F4BB Hack room open", "", "\U0001F469\u200d\U0001F4BB Hack room open"},
		{"padded", "  Coffee  ", "", "Coffee"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{AdminToken: adminToken})
			r := ts.do(t, http.MethodPost, "/api/v1/announcements", adminToken, string(mustJSON(map[string]string{"text": tc.text})))
			if tc.code != "" {
				checkAPIError(t, r, http.StatusUnprocessableEntity, tc.code)
				var e struct {
					Error struct{ Message string } `json:"error"`
				}
				if json.Unmarshal(r.body, &e) != nil || len(e.Error.Message) < 20 {
					t.Errorf("the refusal %s says too little about what to fix", r.body)
				}
			} else {
				if r.status != http.StatusCreated {
					t.Fatalf("status %d %s, want 201", r.status, r.body)
				}
				var a schedule.Announcement
				if err := json.Unmarshal(r.body, &a); err != nil || a.Text != tc.want {
					t.Errorf("stored text %q (%v), want %q", a.Text, err, tc.want)
				}
			}

			// The same text from a state file.
			state := filepath.Join(t.TempDir(), "state.json")
			body := fmt.Sprintf(`{"version": 1, "adjustments": {"announcements": [%s]}}`,
				mustJSON(schedule.Announcement{ID: "a1", Text: tc.text, Created: testNow.Add(-time.Minute)}))
			if err := os.WriteFile(state, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			loaded := startServer(t, Config{StatePath: state})
			var texts []string
			for _, a := range stateDocOf(t, loaded.get(t, "/api/v1/state")).Announcements {
				texts = append(texts, a.Text)
			}
			if tc.code != "" && len(texts) != 0 {
				t.Errorf("loaded %q from the state file, which the API refuses", texts)
			}
			if tc.code == "" && !slices.Equal(texts, []string{tc.want}) {
				t.Errorf("loaded %q from the state file, want [%q]", texts, tc.want)
			}
		})
	}
}

// TestDamagedStateFileThroughLink: a damaged state file reached through a
// symbolic link is moved aside where it is (on the volume), not the link:
// the link stays, and after the restart the organizers' changes go through
// it to the volume again.
func TestDamagedStateFileThroughLink(t *testing.T) {
	dir := t.TempDir()
	volume := filepath.Join(dir, "volume")
	if err := os.Mkdir(volume, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(volume, "state.json")
	const damaged = `{"version": 1, "adjustments": {"announcements": [{"id": "a`
	if err := os.WriteFile(target, []byte(damaged), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "state.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow), StatePath: link})
	if err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("New accepted a damaged state file")
	}
	aside, _ := filepath.Glob(target + ".damaged-*")
	if len(aside) != 1 || !strings.Contains(err.Error(), aside[0]) {
		t.Fatalf("damaged copies on the volume: %v, want one, named in %q", aside, err)
	}
	if b, err := os.ReadFile(aside[0]); err != nil || string(b) != damaged {
		t.Errorf("the copy holds %q (%v), want the damaged content", b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the state file %s is no longer a symbolic link (%v)", link, err)
	}

	ts := startServer(t, Config{AdminToken: adminToken, StatePath: link})
	a := ts.announce(t, "Back on the volume", "")
	if got := annIDs(readStateFile(t, target).Adjustments.Announcements); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("the volume's state file holds %v, want %v", got, []string{a.ID})
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the state file %s is no longer a symbolic link after a write (%v)", link, err)
	}
}
