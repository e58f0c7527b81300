package frontend_test

// Room status and rooms that a reload renames or removes, on the audience
// views in Chromium: the room screen, the lobby and the tab show a full
// room (with the rooms on the same topic), and a screen whose room a
// reload removes says so within 5 s, while a screen of a renamed room
// follows it.

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// roomsDay: three rooms at 09:10 in Los Angeles; A and B both run a Go
// talk. A and C carry the source's room GUIDs.
const roomsDay = `name: Rooms Conf
timezone: America/Los_Angeles
tracks:
  - {id: room-a, name: Room A, guid: 1d0c-a}
  - {id: room-b, name: Room B}
  - {id: room-c, name: Room C, guid: 1d0c-c}
sessions:
  - {id: s1, track: room-a, title: Go at scale, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go]}
  - {id: s2, track: room-b, title: Go tooling, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go, tools]}
  - {id: s3, track: room-c, title: Rust in prod, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [rust]}
`

// roomsDayRenamed renames Room A to Auditorium (same GUID), lists it
// second, and removes Room C.
const roomsDayRenamed = `name: Rooms Conf
timezone: America/Los_Angeles
tracks:
  - {id: room-b, name: Room B}
  - {id: auditorium, name: Auditorium, guid: 1d0c-a}
sessions:
  - {id: s1, track: auditorium, title: Go at scale, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go]}
  - {id: s2, track: room-b, title: Go tooling, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go, tools]}
`

func TestRoomStatusOnAudienceViews(t *testing.T) {
	ts := startServerWith(t, roomsDay, at("09:10:00"), 1)
	b := newBrowser(t)
	if code, body := ts.admin("POST", "/api/v1/tracks/room-a/status", map[string]string{"status": "full", "note": "Standing room only"}); code != http.StatusOK {
		t.Fatalf("set status: %d %s", code, body)
	}
	screen := b.open(t, "room screen", ts.url+"/screen/room-a", tabOpt{width: 1920, height: 1080})
	screen.wait("the ribbon of a full room", has(".stage > .room-status", "Room full"), 10*time.Second)
	for _, want := range []string{"Standing room only", "Same topic now in Room B"} {
		if got := screen.text(".room-status"); !strings.Contains(got, want) {
			t.Errorf("room screen ribbon %q, want %q in it", got, want)
		}
	}
	// Inside the screen, above the title, and not red.
	if !eval[bool](screen, `(() => { const r = document.querySelector('.room-status').getBoundingClientRect(), t = document.getElementById('title').getBoundingClientRect();
		return r.width > 0 && r.bottom <= t.top + 1 && r.right <= innerWidth && getComputedStyle(document.querySelector('.room-status')).backgroundColor !== 'rgb(255, 0, 0)'; })()`) {
		t.Error("the ribbon is not shown whole above the title")
	}
	screen.screenshot(shotsDir(t), "screen-room-full", 1920, 1080, 0)

	lobby := b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1920, height: 1080})
	lobby.wait("room A's row full", has(`.row[data-key="room-a"] .room-status`, "Room full"), 10*time.Second)
	if n := eval[int](lobby, `document.querySelectorAll('.room-status').length`); n != 1 {
		t.Errorf("lobby shows %d ribbons, want 1 (room A only)", n)
	}
	tabView := b.open(t, "tab", ts.url+"/", tabOpt{})
	tabView.wait("room A's card full", has(card("room-a", ".room-status"), "Room full"), 10*time.Second)
	lobby.screenshot(shotsDir(t), "lobby-room-full", 1920, 1080, 0)
	tabView.screenshot(shotsDir(t), "tab-room-full", 1280, 800, 0)

	// Open again: every view drops the ribbon.
	if code, body := ts.admin("POST", "/api/v1/tracks/room-a/status", map[string]string{"status": "open"}); code != http.StatusOK {
		t.Fatalf("open: %d %s", code, body)
	}
	for _, v := range []*tab{screen, lobby, tabView} {
		v.wait("no ribbon", `!document.querySelector('.room-status')`, 5*time.Second)
	}
}

func TestRoomRemovedAndRenamedOnScreens(t *testing.T) {
	ts := startServerWith(t, roomsDay, at("09:10:00"), 1)
	b := newBrowser(t)
	for path, body := range map[string]map[string]any{
		"/api/v1/tracks/room-a/status": {"status": "full"},
		"/api/v1/tracks/room-c/delay":  {"minutes": 7},
		"/api/v1/tracks/room-c/status": {"status": "closed"},
	} {
		if code, b := ts.admin("POST", path, body); code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
	}
	screenA := b.open(t, "screen of room A", ts.url+"/screen/room-a", tabOpt{width: 1280, height: 720})
	screenC := b.open(t, "screen of room C", ts.url+"/screen/room-c", tabOpt{width: 1280, height: 720})
	lobby := b.open(t, "lobby of room A and B", ts.url+"/screen?tracks=room-a,room-b", tabOpt{width: 1920, height: 1080})
	follower := b.open(t, "tab following room A", ts.url+"/?track=room-a", tabOpt{})
	screenA.wait("room A full", has(".room-status", "Room full"), 10*time.Second)
	lobby.wait("room A's row", `document.querySelectorAll('.row').length === 2`, 10*time.Second)
	follower.wait("the tab title on room A", `document.title.includes('Go at scale') && document.title.includes('Room A')`, 10*time.Second)
	screenC.wait("room C closed", has(".room-status", "Closed"), 10*time.Second)

	if err := os.WriteFile(ts.path, []byte(roomsDayRenamed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, body := ts.admin("POST", "/api/v1/reload", nil)
	if code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	reloaded := time.Now()
	var r struct{ Warnings []struct{ Message string } }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Message, "delay of 7 minutes") || !strings.Contains(r.Warnings[0].Message, `status "closed"`) {
		t.Errorf("reload warnings = %+v, want one naming room C's delay and status", r.Warnings)
	}

	screenC.wait("the notice of a removed room", has("#room-gone", "This room is no longer in the schedule"), 5*time.Second)
	t.Logf("removed room's notice %v after the reload answered", time.Since(reloaded))
	links := eval[[]string](screenC, `[...document.querySelectorAll('#room-gone a')].map((a) => a.getAttribute('href') + ' ' + a.textContent)`)
	if want := []string{"/screen/room-b Room B", "/screen/auditorium Auditorium"}; strings.Join(links, "|") != strings.Join(want, "|") {
		t.Errorf("links = %q, want %q", links, want)
	}
	screenC.screenshot(shotsDir(t), "screen-room-gone", 1280, 720, 0)

	// The renamed room's screen follows it, still full, at its new address.
	screenA.wait("the auditorium", `location.pathname === '/screen/auditorium' && document.getElementById('room').textContent === 'Auditorium'`, 5*time.Second)
	if got := screenA.text(".room-status"); !strings.Contains(got, "Room full") {
		t.Errorf("auditorium ribbon %q, want Room full", got)
	}
	if eval[bool](screenA, `!!document.getElementById('room-gone')`) {
		t.Error("the renamed room's screen says its room is gone")
	}
	// A lobby set up with the old id, and a tab that followed it, keep it.
	lobby.wait("the auditorium's row", has(`.row[data-key="auditorium"] .row-room`, "Auditorium"), 5*time.Second)
	if n, hint := eval[int](lobby, `document.querySelectorAll('.row').length`), lobby.text("#hint"); n != 2 || hint != "" {
		t.Errorf("lobby ?tracks=room-a,room-b shows %d rows and the hint %q, want 2 rows and no hint", n, hint)
	}
	follower.wait("the tab title on the auditorium", `document.title.includes('Auditorium')`, 5*time.Second)
}
