package server

import (
	"net/http"
	"strings"
	"testing"
)

// revalidate sends GET path with Accept-Encoding enc ("" for none) and, if
// not empty, If-None-Match inm. The client does not decompress: the body is
// as sent.
func (ts *testServer) revalidate(t *testing.T, path, enc, inm string) apiResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", enc)
	if enc == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return readResponse(t, resp)
}

// checkNotModified fails the test unless r is a 304 without a body that
// carries the headers of the 200 it stands for: a cache keeps its body and
// takes the 304's headers, so a 304 without the CSP or the Cache-Control
// would change how the page runs or is cached.
func checkNotModified(t *testing.T, what string, r, ok apiResponse) {
	t.Helper()
	if r.status != http.StatusNotModified {
		t.Fatalf("%s = %d, want 304", what, r.status)
	}
	if len(r.body) != 0 {
		t.Errorf("%s: 304 with a body of %d bytes", what, len(r.body))
	}
	if cl := r.header.Get("Content-Length"); cl != "" && cl != ok.header.Get("Content-Length") {
		t.Errorf("%s: 304 with Content-Length %s, the 200 had %q", what, cl, ok.header.Get("Content-Length"))
	}
	for _, h := range []string{"ETag", "Cache-Control", "Vary", "Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if got, want := r.header.Get(h), ok.header.Get(h); got != want {
			t.Errorf("%s: 304 %s = %q, the 200 had %q", what, h, got, want)
		}
	}
}

// TestScheduleRevalidates: the schedule document and the iCalendar feeds
// carry a strong entity tag per encoding, revalidate (Cache-Control:
// no-cache), answer a matching If-None-Match with a 304 and no body, and
// get a new tag when the document changes.
func TestScheduleRevalidates(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	paths := []string{"/api/v1/schedule", "/schedule.ics", "/schedule.ics?track=main", "/schedule.ics?track=side"}
	encs := []string{"", "gzip", "br"}
	tags := map[string]string{} // path + " " + enc -> tag before the delay
	for _, path := range paths {
		seen := map[string]string{} // tag -> encoding: one tag per representation
		for _, enc := range encs {
			what := "GET " + path + " (" + enc + ")"
			ok := ts.revalidate(t, path, enc, "")
			if ok.status != http.StatusOK {
				t.Fatalf("%s = %d %s", what, ok.status, ok.body)
			}
			if got := ok.header.Get("Content-Encoding"); got != enc {
				t.Errorf("%s: Content-Encoding %q", what, got)
			}
			tag := ok.header.Get("ETag")
			if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 10 {
				t.Fatalf("%s: ETag %q, want a strong quoted tag", what, tag)
			}
			if other, dup := seen[tag]; dup {
				t.Errorf("%s: ETag %s is also the tag of encoding %q: a strong tag names one representation", what, tag, other)
			}
			seen[tag] = enc
			tags[path+" "+enc] = tag
			if cc := ok.header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q, want no-cache (revalidate every time)", what, cc)
			}
			if v := ok.header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
				t.Errorf("%s: Vary %q, want Accept-Encoding", what, v)
			}

			for _, inm := range []string{tag, `"other", ` + tag, `"a,b", W/` + tag, "*"} {
				r := ts.revalidate(t, path, enc, inm)
				checkNotModified(t, what+" If-None-Match: "+inm, r, ok)
			}
			for _, inm := range []string{`"other"`, strings.Trim(tag, `"`), tag[:len(tag)-2] + `"`} {
				if r := ts.revalidate(t, path, enc, inm); r.status != http.StatusOK || len(r.body) != len(ok.body) {
					t.Errorf("%s If-None-Match: %s = %d with %d bytes, want 200 with the %d of the document", what, inm, r.status, len(r.body), len(ok.body))
				}
			}
		}
	}
	// Another encoding's tag is another representation: the whole document.
	if r := ts.revalidate(t, "/api/v1/schedule", "br", tags["/api/v1/schedule gzip"]); r.status != http.StatusOK {
		t.Errorf("brotli request with the gzip tag = %d, want 200", r.status)
	}

	// A delay changes the schedule document and every feed of the track
	// (the whole one and main's), not side's.
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 9}`, http.StatusOK)
	for _, path := range paths {
		for _, enc := range encs {
			old := tags[path+" "+enc]
			r := ts.revalidate(t, path, enc, old)
			if path == "/schedule.ics?track=side" {
				if r.status != http.StatusNotModified {
					t.Errorf("GET %s (%s) after a delay on main = %d, want 304: side's feed did not change", path, enc, r.status)
				}
				continue
			}
			if r.status != http.StatusOK || len(r.body) == 0 {
				t.Fatalf("GET %s (%s) with the tag from before the delay = %d, want 200 and the new document", path, enc, r.status)
			}
			if tag := r.header.Get("ETag"); tag == old || tag == "" {
				t.Errorf("GET %s (%s) after the delay: ETag %q, want a new one (was %s)", path, enc, tag, old)
			}
			if r := ts.revalidate(t, path, enc, r.header.Get("ETag")); r.status != http.StatusNotModified {
				t.Errorf("GET %s (%s) with the new tag = %d, want 304", path, enc, r.status)
			}
		}
	}
}

// TestPagesRevalidate: every view is tagged per encoding and asset version,
// and its 304 carries the page's CSP and the security headers of its 200.
func TestPagesRevalidate(t *testing.T) {
	ts := startServer(t, Config{})
	for _, path := range []string{"/", "/screen", "/screen/main", "/overlay/main", "/stage/main", "/admin"} {
		for _, enc := range []string{"", "gzip", "br"} {
			what := "GET " + path + " (" + enc + ")"
			ok := ts.revalidate(t, path, enc, "")
			if ok.status != http.StatusOK {
				t.Fatalf("%s = %d", what, ok.status)
			}
			if ok.header.Get("Content-Security-Policy") == "" || ok.header.Get("ETag") == "" {
				t.Fatalf("%s: CSP %q, ETag %q, want both", what, ok.header.Get("Content-Security-Policy"), ok.header.Get("ETag"))
			}
			if cc := ok.header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q, want no-cache", what, cc)
			}
			checkNotModified(t, what, ts.revalidate(t, path, enc, ok.header.Get("ETag")), ok)
			checkNotModified(t, what+" (weak, in a list)", ts.revalidate(t, path, enc, `"x", W/`+ok.header.Get("ETag")), ok)
		}
	}
	// The admin console keeps its frame-ancestors on a 304.
	ok := ts.revalidate(t, "/admin", "br", "")
	if r := ts.revalidate(t, "/admin", "br", "*"); !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("304 of /admin: CSP %q, want frame-ancestors 'none'", r.header.Get("Content-Security-Policy"))
	} else {
		checkNotModified(t, "GET /admin If-None-Match: *", r, ok)
	}
}

// TestStateNotTagged: the state document is served at tens of thousands of
// requests a second and changes with every transition: no tag to hash, no
// caching at all.
func TestStateNotTagged(t *testing.T) {
	ts := startServer(t, Config{})
	r := ts.revalidate(t, "/api/v1/state", "br", "*")
	if r.status != http.StatusOK || r.header.Get("ETag") != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /api/v1/state = %d, ETag %q, Cache-Control %q, want 200, none, no-store", r.status, r.header.Get("ETag"), r.header.Get("Cache-Control"))
	}
}

func TestNoneMatchNames(t *testing.T) {
	const tag = `"abc-br"`
	for _, tc := range []struct {
		field string
		want  bool
	}{
		{`"abc-br"`, true},
		{`W/"abc-br"`, true},
		{`*`, true},
		{` "x" ,, "abc-br"`, true},
		{`"a,b","abc-br"`, true},
		{`"abc"`, false},
		{`"abc-gzip"`, false},
		{`abc-br`, false},
		{`"abc-br`, false},
		{``, false},
		{`"x", junk, "abc-br"`, false}, // malformed: the whole document
	} {
		if got := noneMatchNames([]byte(tc.field), tag); got != tc.want {
			t.Errorf("If-None-Match %q names %s: %v, want %v", tc.field, tag, got, tc.want)
		}
	}
}

// TestLargeScheduleRevalidates: for FOSDEM (hundreds of KB even with
// brotli), a page that has the document costs a 304 and no body.
func TestLargeScheduleRevalidates(t *testing.T) {
	sc := corpusSchedule(t, "frab-fosdem-2024.xml")
	ts := startServer(t, Config{Schedule: sc})
	ok := ts.revalidate(t, "/api/v1/schedule", "br", "")
	if ok.status != http.StatusOK || len(ok.body) < 50_000 {
		t.Fatalf("GET /api/v1/schedule (br) = %d with %d bytes, want 200 and the whole document", ok.status, len(ok.body))
	}
	checkNotModified(t, "GET /api/v1/schedule (br) with its tag", ts.revalidate(t, "/api/v1/schedule", "br", ok.header.Get("ETag")), ok)
	t.Logf("the schedule document: %d bytes with brotli, 0 on revalidation", len(ok.body))
}
