package frontend_test

// Honest viewer counts (docs/protocol.md, "watch="): a tab counts toward the
// track its viewer chose to follow, none until they do, and shows counts
// only when the server makes them public, and never a stale one.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/internal/testserver"
)

// TestTabViewerCounts opens the tab on a real schedule (31C3's four halls)
// and reads the server's confdash_viewers gauge: a fresh tab counts under
// "all", not as watching the first hall; pressing Follow on the second hall
// counts it there. With the counts private (the default) the tab shows no
// "watching" line; with --public-viewer-counts it does, and hides it while
// the server is gone.
func TestTabViewerCounts(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	a, _ := handover(t, s, 5*time.Minute)
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(time.Minute), 1)
	first, second := s.Tracks[0].ID, s.Tracks[1].ID

	tb := b.open(t, "tab", ts.url+"/", tabOpt{})
	tb.wait("the tracks", fmt.Sprintf(`document.querySelectorAll('.track').length === %d && document.documentElement.dataset.conn === 'open'`, len(s.Tracks)), 10*time.Second)
	waitViewers(t, ts, map[string]float64{"all": 1, first: 0, second: 0})

	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(card(second, "button.follow")))); err != nil {
		t.Fatal(err)
	}
	tb.wait("the follow", fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-pressed') === 'true'`, card(second, "button.follow")), 5*time.Second)
	waitViewers(t, ts, map[string]float64{"all": 0, first: 0, second: 1})
	if n := eval[int](tb, `document.querySelectorAll('.track .viewers:not([hidden])').length`); n != 0 {
		t.Errorf("with the counts private the tab shows %d \"watching\" lines, want none", n)
	}

	// The same tab on a server that makes the counts public: it reconnects
	// (still following the second hall) and shows them.
	tb.netErrs.Store(true) // the server is away between the two
	ts.stop()
	ts.publicViewers = true
	ts.restart()
	tb.wait("the second hall's count", has(card(second, ".viewers:not([hidden])"), "1 watching"), 20*time.Second)
	waitViewers(t, ts, map[string]float64{"all": 0, first: 0, second: 1})

	// The server goes away: the count is no longer true, and goes.
	ts.stop()
	tb.wait("the counts hidden", `document.documentElement.dataset.conn !== 'open' && document.querySelectorAll('.track .viewers:not([hidden])').length === 0`, 5*time.Second)
}

// waitViewers waits until the server's confdash_viewers{view="tab"} gauge
// reads want for each track label, and fails the test with what it reads.
func waitViewers(t *testing.T, ts *testServer, want map[string]float64) {
	t.Helper()
	var got map[string]float64
	if !testserver.Eventually(5*time.Second, func() bool {
		got = tabViewers(t, ts.url)
		for track, n := range want {
			if got[track] != n {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("confdash_viewers{view=\"tab\"} by track = %v, want %v", got, want)
	}
}

// tabViewers is the server's confdash_viewers{view="tab"} gauge by track,
// from its metrics.
func tabViewers(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "confdash_viewers{") || !strings.Contains(line, `view="tab"`) {
			continue
		}
		var track string
		var v float64
		labels, value, _ := strings.Cut(line, "} ")
		if _, err := fmt.Sscan(value, &v); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		if _, rest, ok := strings.Cut(labels, `track="`); ok {
			track, _, _ = strings.Cut(rest, `"`)
		}
		out[track] = v
	}
	return out
}
