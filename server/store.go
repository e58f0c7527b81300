package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/confdash/confdash/schedule"
)

// stateFile is what the state file holds: the organizers' live adjustments.
// The schedule itself lives in its own file; this one survives restarts.
type stateFile struct {
	Version     int                  `json:"version"`
	Adjustments schedule.Adjustments `json:"adjustments"`
}

const stateFileVersion = 1

// loadState reads the adjustments from path. A missing file is an empty
// state. A damaged file is moved aside (nothing is lost) and reported with
// what to do next.
func loadState(path string, now time.Time) (schedule.Adjustments, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return schedule.Adjustments{}, nil
	}
	if err != nil {
		return schedule.Adjustments{}, fmt.Errorf("read state file %s: %w", path, err)
	}
	var sf stateFile
	err = json.Unmarshal(data, &sf)
	if err == nil && sf.Version != stateFileVersion {
		err = fmt.Errorf("unknown state file version %d (this confdash writes %d)", sf.Version, stateFileVersion)
	}
	if err != nil {
		aside := fmt.Sprintf("%s.damaged-%s", path, now.UTC().Format("20060102T150405Z"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return schedule.Adjustments{}, fmt.Errorf("state file %s is damaged (%v) and could not be moved aside (%v): repair or remove it, then start again", path, err, rerr)
		}
		return schedule.Adjustments{}, fmt.Errorf("state file %s is damaged (%v); it was moved to %s: start again to continue without saved announcements and delays, or repair that copy and move it back", path, err, aside)
	}
	return sf.Adjustments, nil
}

// saveState writes the adjustments atomically (writeFileAtomic: temporary
// file, fsync, rename, fsync of the directory), so a crash leaves either the
// old or the new file, never a torn one.
func saveState(path string, adj schedule.Adjustments) error {
	data, err := json.MarshalIndent(stateFile{Version: stateFileVersion, Adjustments: adj}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	return nil
}
