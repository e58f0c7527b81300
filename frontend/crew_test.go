package frontend_test

// The admin console shows the video crew which sessions must not be
// recorded or streamed, from the schedule's own fields.

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// crewSchedule is one room's morning: a workshop that must be neither
// recorded nor streamed, a talk that must not be streamed, a plain talk.
const crewSchedule = `name: Crew Conf 2026
timezone: America/Los_Angeles
tracks:
  - id: main
    name: Main Hall
sessions:
  - id: ws
    track: main
    title: Soldering for Beginners
    speakers: [{name: Ada}]
    kind: other
    type: Workshop
    do_not_record: true
    do_not_stream: true
    start: 2026-10-06 09:00
    end: 2026-10-06 10:00
  - id: live-only
    track: main
    title: Off the Record
    speakers: [{name: Bo}]
    do_not_stream: true
    start: 2026-10-06 10:00
    end: 2026-10-06 10:30
  - id: plain
    track: main
    title: Plain Talk
    speakers: [{name: Cy}]
    start: 2026-10-06 10:30
    end: 2026-10-06 11:00
`

func TestAdminCrewBadges(t *testing.T) {
	b := newBrowser(t)
	ts := startServerWith(t, crewSchedule, at("09:10:00"), 1)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
	err := chromedp.Do(admin.ctx,
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-track="main"][data-delta="5"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	admin.wait("the schedule", `document.querySelectorAll('#day-rows tr').length === 3`, 5*time.Second)
	// What each row shows of its badges, by session id: only visible ones.
	got := eval[map[string]string](admin, `Object.fromEntries([...document.querySelectorAll('#day-rows tr')].map(r =>
		[r.dataset.key, [...r.querySelectorAll('.badge')].filter(b => b.checkVisibility()).map(b => b.textContent).join('+')]))`)
	want := map[string]string{"ws": "DO NOT RECORD+DO NOT STREAM", "live-only": "DO NOT STREAM", "plain": ""}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("row %s shows badges %q, want %q (all: %v)", id, got[id], w, got)
		}
	}
	if got := eval[string](admin, `document.querySelector('#day-rows tr[data-key="ws"] .c-kind').title`); got != "in the schedule: Workshop" {
		t.Errorf("ws kind title = %q, want the source's type", got)
	}
}
