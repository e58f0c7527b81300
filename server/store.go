package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
)

// stateFile is what the state file holds: the organizers' live adjustments.
// The schedule itself lives in its own file; this one survives restarts.
type stateFile struct {
	Version int `json:"version"`
	// Revision counts the changes saved (the ETag of the admin API), so
	// that it goes on from where it was after a restart: an organizer's
	// If-Match from before the restart must not match a different state.
	// Files written before it was kept have none: 0.
	Revision    uint64               `json:"revision,omitempty"`
	Adjustments schedule.Adjustments `json:"adjustments"`
}

const stateFileVersion = 1

// rawStateFile is a state file read entry by entry, so that one bad entry
// (hand-edited, or written by an older confdash that checked less) costs
// only itself.
type rawStateFile struct {
	Version     int    `json:"version"`
	Revision    uint64 `json:"revision"`
	Adjustments struct {
		Announcements []json.RawMessage          `json:"announcements"`
		Delays        map[string]json.RawMessage `json:"delays"`
		Statuses      map[string]json.RawMessage `json:"statuses"`
		Aliases       map[string]string          `json:"aliases"`
		Live          map[string]json.RawMessage `json:"live"`
	} `json:"adjustments"`
}

// droppedEntry is an entry of the state file that was not loaded: where it
// is in the file and what is wrong with it.
type droppedEntry struct{ field, problem string }

// loadState reads the adjustments and their revision from path for the
// schedule sc. A missing file is an empty state. A damaged file (not JSON,
// another version) is moved aside (nothing is lost) and reported with what
// to do next.
//
// Every entry goes through the admin API's own checks (checkAnnouncement,
// checkDelay): an entry the API would refuse is dropped with a warning
// naming the file, the field and the problem, and the rest is kept. The
// file as it was is kept beside it first, as PATH.damaged-TIME, and the
// state file is rewritten with the sound entries, so the warnings are not
// repeated at every start.
func loadState(path string, sc *schedule.Schedule, now time.Time, log *slog.Logger) (schedule.Adjustments, uint64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return schedule.Adjustments{}, 0, nil
	}
	if err != nil {
		return schedule.Adjustments{}, 0, fmt.Errorf("read state file %s: %w", path, err)
	}
	// Beside the file itself: a state file linked onto a volume keeps its
	// copies there, and the link stays.
	real, rerr := resolveLinks(path)
	if rerr != nil {
		real = path
	}
	aside := fmt.Sprintf("%s.damaged-%s", real, now.UTC().Format("20060102T150405Z"))
	var sf rawStateFile
	err = json.Unmarshal(data, &sf)
	if err == nil && sf.Version != stateFileVersion {
		err = fmt.Errorf("unknown state file version %d (this confdash writes %d)", sf.Version, stateFileVersion)
	}
	if err != nil {
		if rerr := os.Rename(real, aside); rerr != nil {
			return schedule.Adjustments{}, 0, fmt.Errorf("state file %s is damaged (%v) and could not be moved aside (%v): repair or remove it, then start again", path, err, rerr)
		}
		return schedule.Adjustments{}, 0, fmt.Errorf("state file %s is damaged (%v); it was moved to %s: start again to continue without saved announcements and delays, or repair that copy and move it back", path, err, aside)
	}
	adj, dropped := checkState(sf, sc)
	if len(dropped) == 0 {
		return adj, sf.Revision, nil
	}
	if err := writeFileAtomic(aside, data); err != nil {
		return schedule.Adjustments{}, 0, fmt.Errorf("state file %s: %s: %s; a copy could not be kept at %s (%v): repair or remove that entry, then start again", path, dropped[0].field, dropped[0].problem, aside, err)
	}
	for _, d := range dropped {
		log.Warn("state file entry dropped: the admin API would refuse it",
			slog.String("file", path), slog.String("field", d.field), slog.String("problem", d.problem), slog.String("copy", aside))
	}
	// A new revision: what an organizer saw before the restart is not this.
	rev := sf.Revision + 1
	if err := saveState(path, rev, adj); err != nil {
		return schedule.Adjustments{}, 0, fmt.Errorf("state file %s has %d invalid entries (kept in %s) and could not be rewritten without them: %w", path, len(dropped), aside, err)
	}
	log.Warn("state file loaded without its invalid entries; post any that is still needed again from the admin console",
		slog.String("file", path), slog.Int("dropped", len(dropped)), slog.Int("announcements", len(adj.Announcements)),
		slog.Int("delays", len(adj.Delays)), slog.String("copy", aside))
	return adj, rev, nil
}

// checkState decodes each entry of sf and keeps those the admin API would
// accept for the schedule sc (the first of two announcements with one id).
func checkState(sf rawStateFile, sc *schedule.Schedule) (schedule.Adjustments, []droppedEntry) {
	var adj schedule.Adjustments
	var dropped []droppedEntry
	drop := func(field string, err error) {
		// Clipped: a problem may quote the entry (an unknown track id), and
		// an entry may be megabytes long.
		dropped = append(dropped, droppedEntry{clip(field), clip(err.Error())})
	}
	seen := map[string]bool{}
	for i, raw := range sf.Adjustments.Announcements {
		field := fmt.Sprintf("adjustments.announcements[%d]", i)
		var a schedule.Announcement
		if err := json.Unmarshal(raw, &a); err != nil {
			drop(field, fmt.Errorf("not an announcement (%v): it needs an id, a text and a created instant in RFC 3339", err))
			continue
		}
		field += " (id " + quote(a.ID) + ")"
		a, err := checkAnnouncement(a, sc)
		switch {
		case err != nil:
			drop(field, err)
		case seen[a.ID]:
			drop(field, errors.New("an earlier announcement has the same id"))
		default:
			seen[a.ID] = true
			adj.Announcements = append(adj.Announcements, a)
		}
	}
	for _, track := range slices.Sorted(maps.Keys(sf.Adjustments.Delays)) {
		field := "adjustments.delays." + quote(track)
		var d schedule.Delay
		if err := json.Unmarshal(sf.Adjustments.Delays[track], &d); err != nil {
			drop(field, fmt.Errorf("not a delay (%v): it needs minutes and a from instant in RFC 3339", err))
			continue
		}
		if err := checkDelay(track, d, sc); err != nil {
			drop(field, err)
			continue
		}
		if adj.Delays == nil {
			adj.Delays = map[string]schedule.Delay{}
		}
		adj.Delays[track] = d
	}
	for _, id := range slices.Sorted(maps.Keys(sf.Adjustments.Live)) {
		field := "adjustments.live." + quote(id)
		var l schedule.Live
		if err := json.Unmarshal(sf.Adjustments.Live[id], &l); err != nil {
			drop(field, fmt.Errorf("not a session's live timing (%v): it needs a track and started or ended in RFC 3339", err))
			continue
		}
		if err := checkLive(id, l, sc); err != nil {
			drop(field, err)
			continue
		}
		if adj.Live == nil {
			adj.Live = map[string]schedule.Live{}
		}
		adj.Live[id] = l
	}
	adj, dropped = checkRoomEntries(sf, sc, adj, dropped)
	return adj, dropped
}

// clip shortens s for a log line, on a character boundary.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkStateWritable makes sure at start-up that the state file can be
// saved, so a directory that is missing or refuses new files stops the
// server now, with what to do, instead of failing the organizers' first
// announcement on the day. It makes and removes a temporary file where
// writeFileAtomic will make its own.
func checkStateWritable(path string) error {
	dir := filepath.Dir(path)
	target, err := resolveLinks(path)
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		dir = pe.Path // the directory missing on the way (through links)
	}
	if err == nil {
		dir = filepath.Dir(target)
		var f *os.File
		if f, err = os.CreateTemp(dir, filepath.Base(target)+".check-*"); err == nil {
			f.Close()
			return os.Remove(f.Name())
		}
	}
	return fmt.Errorf("state file %s cannot be saved: the directory %s does not take new files (%v). Create that directory and let the user running confdash write to it, or choose another state file with --state (CONFDASH_STATE)", path, dir, err)
}

// saveState writes the adjustments at revision rev atomically
// (writeFileAtomic: temporary file, fsync, rename, fsync of the directory),
// so a crash leaves either the old or the new file, never a torn one.
func saveState(path string, rev uint64, adj schedule.Adjustments) error {
	data, err := json.MarshalIndent(stateFile{Version: stateFileVersion, Revision: rev, Adjustments: adj}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	return nil
}

// adjStore keeps the organizers' adjustments and applies their edits: the
// state file of a single instance (fileStore), or NATS shared by a cluster
// (clusterStore). Either way a change is saved before anyone sees it, and
// comes back to the live state through live.onAdjustments.
type adjStore interface {
	// revision is the revision of the adjustments this instance shows:
	// the ETag of the admin API.
	revision() uint64
	// ready reports whether a change can be saved now.
	ready() bool
	// apply runs edit on the current adjustments and saves the result
	// with compare-and-set: with a condition, only if the revision is
	// still cond.rev (else *conflictError). It returns the new revision
	// and adjustments, or the edit's error (schedule.ErrUnknownTrack...),
	// errStoreUnavailable or a *stateWriteError.
	apply(ctx context.Context, cond ifMatch, edit schedule.Edit) (uint64, schedule.Adjustments, error)
}

// ifMatch is an admin request's optional If-Match: the revision its change
// is based on.
type ifMatch struct {
	rev uint64
	set bool
}

// conflictError is a change based on a revision that is no longer the
// current one: someone else changed the adjustments since.
type conflictError struct{ based, current uint64 }

func (e *conflictError) Error() string {
	return fmt.Sprintf("the announcements and delays changed since revision %d (now %d), probably by another organizer: "+
		"look at the current state, then send the change again with If-Match: %s", e.based, e.current, etag(e.current))
}

// errStoreUnavailable is a change that could not be shared with the other
// instances of a cluster, so it was not made.
var errStoreUnavailable = errors.New("NATS is unreachable, so the change could not be shared with the other instances and was not applied; viewers keep the last known state. Try again when /readyz reports \"ready\"")

// stateWriteError is a change not applied because the state file could not
// be written.
type stateWriteError struct{ err error }

func (e *stateWriteError) Error() string { return e.err.Error() }
func (e *stateWriteError) Unwrap() error { return e.err }

// fileStore is a single instance's store: the adjustments in memory, saved
// to the state file (if any) before they are shown. If the file cannot be
// written, the change is not applied, so the file and what clients see
// never disagree.
type fileStore struct {
	path  string // "" keeps the adjustments in memory only
	live  *live
	clock Clock
	m     *metrics
	log   *slog.Logger

	mu  sync.Mutex // one change at a time, from edit to save to show
	rev uint64
	adj schedule.Adjustments
}

func (f *fileStore) revision() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rev
}

func (f *fileStore) ready() bool { return true }

func (f *fileStore) apply(_ context.Context, cond ifMatch, edit schedule.Edit) (uint64, schedule.Adjustments, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cond.set && cond.rev != f.rev {
		return 0, schedule.Adjustments{}, &conflictError{based: cond.rev, current: f.rev}
	}
	next, err := edit(f.live.schedule(), f.adj, f.clock.Now())
	if err != nil {
		return 0, schedule.Adjustments{}, err
	}
	rev := f.rev + 1
	if f.path != "" {
		if err := saveState(f.path, rev, next); err != nil {
			f.m.stateWriteErrors.Inc()
			f.log.Error("state file not written", slog.String("path", f.path), slog.Any("err", err))
			return 0, schedule.Adjustments{}, &stateWriteError{err}
		}
	}
	f.rev, f.adj = rev, next
	// Shown only after the save: a change that is not saved must not
	// reach any client either.
	f.live.onAdjustments(next)
	return rev, next, nil
}
