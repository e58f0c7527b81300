package frontend_test

// The console's room status controls in Chromium: an organizer signs in,
// sets a room full with a note, moves it, opens it again, and the room's
// screen follows each step; a note over the server's limit shows the
// server's refusal and stays in its field.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// room is a selector inside the console's status row of a room.
func room(track, part string) string { return fmt.Sprintf(`#room-rows [data-key=%q] %s`, track, part) }

func TestAdminRoomStatus(t *testing.T) {
	ts := startServerWith(t, roomsDay, at("09:10:00"), 1)
	b := newBrowser(t)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1920, height: 1080})
	signIn(t, admin)
	admin.wait("the live console", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	admin.wait("a status row per room", `document.querySelectorAll('#room-rows > li').length === 3`, 5*time.Second)
	// The budget is the first load; the calls below add their answers.
	if n := admin.transferred(); n > budget {
		t.Errorf("the console transferred %d bytes, over its %d-byte budget", n, budget)
	}
	if got := admin.text(room("room-a", ".room-state")); got != "Open" {
		t.Errorf("room A's status before any call = %q, want Open", got)
	}
	if got := eval[[]string](admin, `[...document.querySelectorAll('#room-rows [data-key="room-a"] .room-moved option')].map((o) => o.value)`); fmt.Sprint(got) != "[ room-b room-c]" {
		t.Errorf("room A's Moved to… choices = %q, want the placeholder, room-b and room-c", got)
	}
	screen := b.open(t, "room screen", ts.url+"/screen/room-a", tabOpt{width: 1280, height: 720})
	screen.wait("the screen", has("#title", "Go at scale"), 10*time.Second)

	// Full, with a note typed in the console.
	err := chromedp.Do(admin.ctx,
		chromedp.SendKeys(chromedp.CSS(room("room-a", ".room-note")), "Standing room only"),
		chromedp.Click(chromedp.CSS(room("room-a", `[data-status="full"]`))),
	)
	if err != nil {
		t.Fatal(err)
	}
	screen.wait("the ribbon of a full room", has(".stage > .room-status", "Room full")+" && "+has(".room-status", "Standing room only"), 5*time.Second)
	admin.wait("room A full in the console", has(room("room-a", ".room-state"), "Full since 09:1")+" && "+has(room("room-a", ".room-said"), "Standing room only"), 5*time.Second)
	if got := eval[[]string](admin, `[...document.querySelectorAll('#room-rows [data-key="room-a"] [aria-pressed="true"]')].map((b) => b.dataset.status)`); fmt.Sprint(got) != "[full]" {
		t.Errorf("pressed buttons of room A = %q, want [full]", got)
	}
	if got := admin.text(room("room-a", ".room-note")); got != "" || eval[string](admin, `document.querySelector('#room-rows [data-key="room-a"] .room-note').value`) != "" {
		t.Error("the note stays in its field after it was sent")
	}
	admin.screenshot(shotsDir(t), "admin-rooms-1920x1080", 1920, 1080, 0)

	// Moved to Room B.
	eval[bool](admin, `(() => { const s = document.querySelector('#room-rows [data-key="room-a"] .room-moved'); s.value = 'room-b'; s.dispatchEvent(new Event('change')); return true; })()`)
	screen.wait("the ribbon of a moved room", has(".room-status", "Moved to Room B"), 5*time.Second)
	admin.wait("room A moved in the console", has(room("room-a", ".room-state"), "Moved to Room B"), 5*time.Second)
	if got := eval[string](admin, `document.querySelector('#room-rows [data-key="room-a"] .room-moved').value`); got != "" {
		t.Errorf("the Moved to… choice shows %q after the call, want the placeholder again", got)
	}

	// Open clears it everywhere.
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(room("room-a", `[data-status="open"]`)))); err != nil {
		t.Fatal(err)
	}
	screen.wait("no ribbon", `!document.querySelector('.room-status')`, 5*time.Second)
	admin.wait("room A open in the console", `document.querySelector('#room-rows [data-key="room-a"]').dataset.status === 'open'`, 5*time.Second)
	if got := admin.text(room("room-a", ".room-state")); got != "Open" {
		t.Errorf("room A's status after Open = %q, want Open", got)
	}

	// A note of 141 characters: the counter warns, the server refuses, the
	// console says why as it does for every API error, and the note stays.
	long := strings.Repeat("n", 141)
	admin.netErrs.Store(true) // the browser logs the 422 as a failed resource
	err = chromedp.Do(admin.ctx,
		chromedp.SendKeys(chromedp.CSS(room("room-b", ".room-note")), long),
		chromedp.Click(chromedp.CSS(room("room-b", `[data-status="closed"]`))),
	)
	if err != nil {
		t.Fatal(err)
	}
	admin.wait("the refusal", `!document.querySelector('#error').hidden && /^422 note_too_long: note is limited to 140 characters/.test(document.querySelector('#error').textContent)`, 5*time.Second)
	admin.netErrs.Store(false)
	if got := eval[string](admin, `document.querySelector('#room-rows [data-key="room-b"] .room-note').value`); got != long {
		t.Errorf("the refused note is %d characters in its field, want the 141 typed", len(got))
	}
	if got, cls := admin.text(room("room-b", ".room-count")), eval[string](admin, `document.querySelector('#room-rows [data-key="room-b"] .room-count').className`); got != "141/140" || !strings.Contains(cls, "over") {
		t.Errorf("counter %q (class %q), want 141/140 marked over", got, cls)
	}
	if got := admin.text(room("room-b", ".room-state")); got != "Open" {
		t.Errorf("room B after a refused call = %q, want Open", got)
	}

	phone := b.open(t, "admin on a phone", ts.url+"/admin", tabOpt{width: 390, height: 844, mobile: true})
	signIn(t, phone)
	phone.wait("the rooms", `document.querySelectorAll('#room-rows > li').length === 3`, 5*time.Second)
	eval[bool](phone, `(document.getElementById('rooms').scrollIntoView(), true)`)
	// The controls wrap inside the phone's width: nothing to scroll sideways.
	if w := eval[float64](phone, `Math.max(...[...document.querySelectorAll('#rooms *')].map((e) => e.getBoundingClientRect().right))`); w > 390 {
		t.Errorf("the room status panel reaches %v px on a 390 px phone", w)
	}
	phone.screenshot(shotsDir(t), "admin-rooms-390x844", 390, 844, 0)
}
