package server

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
				if err := saveState(target, stateFile{}.Adjustments); err != nil {
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
