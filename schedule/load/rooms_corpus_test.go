package load_test

import (
	"strings"
	"testing"
)

// Room GUIDs from the real corpus: frab's <room guid>, the hub's schedule2
// rooms[].guid, and pretalx's democon, whose two rooms share one GUID and
// so are known by their slug only.
func TestCorpusRoomGUIDs(t *testing.T) {
	dir := corpusDir(t)
	byFile := map[string]corpusCase{}
	for _, c := range corpusCases {
		byFile[c.file] = c
	}
	tests := []struct {
		file       string
		track      string // a track id of the file
		wantGUID   string
		withGUID   int // tracks with a GUID
		sharedWarn bool
	}{
		{file: "frab-39c3-2025.xml", track: "kidspace-affenfelsen", wantGUID: "0f16853b-8850-4bfa-956e-4da7d8ef7d25", withGUID: -1},
		{file: "schedulejson-hub-schedule2-example.json", track: "saal-1", wantGUID: "ba692ba3-421b-5371-8309-60acc34a3c05", withGUID: -1},
		{file: "schedulejson-pretalx-democon.json", withGUID: 0, sharedWarn: true},
		{file: "frab-fosdem-2024.xml", withGUID: 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c, ok := byFile[tc.file]
			if !ok {
				t.Fatalf("%s is not among the corpus cases", tc.file)
			}
			s, warns := corpusParse(t, dir, c)
			n := 0
			for _, tr := range s.Tracks {
				if tr.GUID != "" {
					n++
				}
			}
			if tc.withGUID >= 0 && n != tc.withGUID {
				t.Errorf("%d tracks with a GUID, want %d", n, tc.withGUID)
			}
			if tc.track != "" {
				tr, ok := s.Track(tc.track)
				if !ok {
					t.Fatalf("no track %q among %v", tc.track, s.Tracks)
				}
				if tr.GUID != tc.wantGUID {
					t.Errorf("track %s: GUID %q, want %q", tc.track, tr.GUID, tc.wantGUID)
				}
				if n != len(s.Tracks) {
					t.Errorf("%d of %d tracks have a GUID, want all", n, len(s.Tracks))
				}
			}
			shared := false
			for _, w := range warns {
				shared = shared || strings.Contains(w.Message, "share the guid")
			}
			if shared != tc.sharedWarn {
				t.Errorf("warning about a shared GUID: %v, want %v", shared, tc.sharedWarn)
			}
		})
	}
}
