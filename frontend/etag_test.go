package frontend_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReloadRevalidates: a kiosk whose browser restarts (a power blip: the
// session's snapshot is gone, the HTTP cache and the service worker stay)
// revalidates its page and the schedule document through the worker: the server answers 304 and
// sends neither again (the whole schedule is hundreds of KB for a large
// conference, times every screen), and the page shows the schedule as
// before. The worker must not keep the 304 in place of the document: the
// offline reload after it still has the schedule (TestOfflineReload).
func TestReloadRevalidates(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, at("09:31:30"), 1)
	tb := b.open(t, "tab", ts.url+"/", tabOpt{})
	tb.wait("the schedule and the service worker", `!!document.documentElement.dataset.schedule && document.documentElement.dataset.offline === 'ready' && !!navigator.serviceWorker.controller`, 15*time.Second)
	version := eval[string](tb, `document.documentElement.dataset.schedule`)
	docs, pages := answers(t, ts.url, "/api/v1/schedule", "200"), answers(t, ts.url, "/", "200")
	revalidated := answers(t, ts.url, "/api/v1/schedule", "304")

	if err := chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`window.beforeReload = true; sessionStorage.clear()`), chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	tb.wait("the schedule after the reload", `!window.beforeReload && !!document.documentElement.dataset.schedule && !!navigator.serviceWorker.controller`, 15*time.Second)
	if got := eval[string](tb, `document.documentElement.dataset.schedule`); got != version {
		t.Errorf("after the reload the page shows schedule %q, want %q", got, version)
	}
	deadline := time.Now().Add(5 * time.Second)
	for answers(t, ts.url, "/api/v1/schedule", "304") == revalidated {
		if time.Now().After(deadline) {
			t.Fatalf("the reload fetched the schedule document %v times whole and never revalidated it (304)", answers(t, ts.url, "/api/v1/schedule", "200")-docs)
		}
		time.Sleep(50 * time.Millisecond) // polling the server's metrics, with a deadline
	}
	if n := answers(t, ts.url, "/api/v1/schedule", "200") - docs; n != 0 {
		t.Errorf("the reload fetched the unchanged schedule document whole %v times, want 0 (a 304)", n)
	}
	if n := answers(t, ts.url, "/", "200") - pages; n != 0 {
		t.Errorf("the reload fetched the unchanged page whole %v times, want 0 (a 304)", n)
	}
	// The worker's copy for the next offline reload is the whole document.
	if err := chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`caches.match('/api/v1/schedule').then(async (r) => {
		window.kept = r ? r.status + ' ' + JSON.parse(await r.text()).schedule_version : 'nothing';
	}, (e) => { window.kept = String(e); })`)); err != nil {
		t.Fatal(err)
	}
	tb.wait("the worker's copy of the schedule", `window.kept !== undefined`, 5*time.Second)
	if got, want := eval[string](tb, `window.kept`), "200 "+version; got != want {
		t.Errorf("the worker keeps %q for /api/v1/schedule, want %q (the document, never a 304)", got, want)
	}
}
