package native_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/google/go-cmp/cmp"
)

func TestWriteNativeGolden(t *testing.T) {
	s := schedtest.Sample(t)
	for _, format := range []string{"yaml", "json"} {
		var buf bytes.Buffer
		if err := native.Write(&buf, s, format); err != nil {
			t.Fatal(err)
		}
		schedtest.Golden(t, "write-native."+format, buf.Bytes())
	}
}

func TestWriteNativeReadsBack(t *testing.T) {
	s := schedtest.Sample(t)
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := native.Write(&buf, s, format); err != nil {
				t.Fatal(err)
			}
			back, warns, err := load.Parse("w."+format, buf.Bytes(), schedule.Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if diff := cmp.Diff(s.Sessions, back.Sessions, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("sessions (-written +read):\n%s", diff)
			}
			if diff := cmp.Diff(s.Tracks, back.Tracks); diff != "" {
				t.Errorf("tracks (-written +read):\n%s", diff)
			}
			if back.Name != s.Name || back.TimeZone != s.TimeZone {
				t.Errorf("name %q zone %q, want %q %q", back.Name, back.TimeZone, s.Name, s.TimeZone)
			}
			// The offsets pin both readings of 02:30, so nothing is ambiguous.
			for _, w := range warns {
				t.Errorf("unexpected warning: %v", w)
			}
		})
	}
}

func TestWriteNativeTimes(t *testing.T) {
	s := schedtest.Sample(t)
	for _, tc := range []struct{ id, start, end string }{
		{"1", "2024-10-26 10:00", "2024-10-26 10:30"},
		{"secs", "2024-10-26 11:00:30", "2024-10-26 11:45"},
		{"summer", "2024-10-27 02:30+02:00", "2024-10-27 02:00+01:00"},
		{"winter", "2024-10-27 02:30+01:00", "2024-10-27 03:30"},
	} {
		ss := schedtest.Session(t, s, tc.id)
		if got := native.FormatTime(ss.Start, s.Location); got != tc.start {
			t.Errorf("%s start = %q, want %q", tc.id, got, tc.start)
		}
		if got := native.FormatTime(ss.End, s.Location); got != tc.end {
			t.Errorf("%s end = %q, want %q", tc.id, got, tc.end)
		}
	}
	if err := native.Write(&bytes.Buffer{}, s, "toml"); err == nil || !strings.Contains(err.Error(), `"toml"`) {
		t.Errorf("Write toml: err = %v, want one naming the format", err)
	}
}
