package frontend_test

// Messages with an audience in the real browser: an emergency for the room
// screens takes a room screen over and never reaches the stream overlay;
// the console's composer posts with the audience, level and time chosen.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/confdash/confdash/schedule"
)

// stateOf fetches the state document of a view, as that view gets it.
func stateOf(t *testing.T, ts *testServer, query string) struct {
	Announcements []schedule.Announcement `json:"announcements"`
	Pending       []schedule.Announcement `json:"pending"`
} {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.url+"/api/v1/state?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken) // the console's state needs it; the others ignore it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Announcements []schedule.Announcement `json:"announcements"`
		Pending       []schedule.Announcement `json:"pending"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET state?%s: %d %v", query, resp.StatusCode, err)
	}
	return st
}

func TestEmergencyTakesRoomScreen(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, at("09:12:00"), 1)
	screen := b.open(t, "room screen", ts.url+"/screen/main", tabOpt{width: 1920, height: 1080})
	overlay := b.open(t, "overlay", ts.url+"/overlay/main", tabOpt{width: 1920, height: 1080, transparent: true})
	for _, tb := range []*tab{screen, overlay} {
		tb.wait("connected", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	}

	code, body := ts.admin("POST", "/api/v1/announcements", map[string]any{
		"text": "EVACUATE the building by the nearest marked exit", "track": "main",
		"level": "emergency", "audience": []string{"room", "lobby"},
	})
	if code != http.StatusCreated {
		t.Fatalf("post the emergency: %d %s", code, body)
	}
	var em schedule.Announcement
	if err := json.Unmarshal(body, &em); err != nil {
		t.Fatal(err)
	}
	screen.wait("the emergency", `document.body.classList.contains('emergency')`, 5*time.Second)
	screen.wait("the entrance animations to end", settled, 5*time.Second)
	// At every point of the screen the topmost element is the message.
	got := eval[string](screen, `(() => {
		const a = [...document.querySelectorAll('#ann .announcement')].filter((x) => !x.hidden);
		if (a.length !== 1 || !a[0].textContent.includes('EVACUATE')) return 'shown: ' + a.map((x) => x.textContent.slice(0, 20)).join('|');
		for (const [x, y] of [[5, 5], [innerWidth / 2, innerHeight / 2], [innerWidth - 5, innerHeight - 5]])
			if (!document.elementFromPoint(x, y)?.closest('#ann')) return 'at ' + x + ',' + y + ': ' + document.elementFromPoint(x, y)?.id;
		return '';
	})()`)
	if got != "" {
		t.Errorf("the emergency does not take the room screen over: %s", got)
	}

	// The fence: a message for the stream, posted after the emergency. Once
	// the overlay shows it, it has had every message before it, and the
	// emergency must not be among them.
	code, body = ts.admin("POST", "/api/v1/announcements", map[string]any{"text": "Stream resumes shortly", "track": "main", "audience": []string{"stream"}})
	if code != http.StatusCreated {
		t.Fatalf("post the fence: %d %s", code, body)
	}
	overlay.wait("the stream's message", `(confdash.live.state?.announcements || []).some((a) => a.text === 'Stream resumes shortly')`, 5*time.Second)
	if got := eval[string](overlay, `JSON.stringify((confdash.live.state?.announcements || []).map((a) => a.text))`); got != `["Stream resumes shortly"]` {
		t.Errorf("the overlay holds %s, want only the stream's message", got)
	}
	if eval[bool](overlay, `document.body.innerText.includes('EVACUATE')`) {
		t.Errorf("the overlay shows the emergency")
	}
	if eval[bool](screen, `document.body.innerText.includes('Stream resumes')`) {
		t.Errorf("the room screen shows the stream's message")
	}

	// Taken down, the room screen is itself again.
	if code, body := ts.admin("DELETE", "/api/v1/announcements/"+em.ID, nil); code != http.StatusNoContent {
		t.Fatalf("remove the emergency: %d %s", code, body)
	}
	screen.wait("the takeover to end", `!document.body.classList.contains('emergency') && document.querySelector('#title').textContent !== ''`, 5*time.Second)

	// A page holding a message whose starts_at is ahead (the console gets
	// one as an event when it is posted) does not show it before then.
	eval[bool](screen, `(() => {
		confdash.live.state.announcements = [{id: 'later', text: 'Not yet', level: 'emergency', starts_at: new Date(confdash.clock.now() + 3600e3).toISOString()}];
		confdash.live.changed();
		return true;
	})()`)
	if got := eval[string](screen, `JSON.stringify([confdash.live.announcements(confdash.clock.now()).length, document.body.classList.contains('emergency'), document.querySelector('#ann').textContent])`); got != `[0,false,""]` {
		t.Errorf("with a message scheduled an hour ahead the screen holds [shown, emergency, band] %s, want nothing", got)
	}
}

func TestComposerPostsAudience(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, at("09:12:00"), 1)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
	signIn(t, admin)
	admin.wait("the composer and the tracks", `document.querySelector('#cmp-level') && document.querySelector('#ann-track option[value=main]') && document.documentElement.dataset.conn === 'open'`, 5*time.Second)

	// A message for the speaker on main only, urgent.
	err := chromedp.Do(admin.ctx, chromedp.SendKeys(chromedp.CSS("#ann-text"), "Your next speaker is here"))
	if err != nil {
		t.Fatal(err)
	}
	admin.wait("the meter", has("#cmp-meter", "25/280"), 2*time.Second)
	admin.wait("the preview", has("#cmp-text", "Your next speaker is here"), 2*time.Second)
	eval[bool](admin, `(() => {
		for (const v of ['room', 'lobby', 'tab', 'stage']) document.querySelector('.cmp-audience input[value=' + v + ']').click();
		const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); el.dispatchEvent(new Event('input', {bubbles: true})); };
		set('ann-track', 'main');
		set('cmp-level', 'urgent');
		return true;
	})()`)
	admin.wait("the urgent preview", `document.querySelector('#cmp-screen').dataset.level === 'urgent'`, 2*time.Second)
	// An emergency is not posted by mistake: the button says what it does.
	if got := eval[string](admin, `(() => {
		const set = (v) => { const el = document.getElementById('cmp-level'); el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
		set('emergency');
		const during = document.querySelector('#ann-form button[type=submit]').textContent;
		set('urgent');
		return during + '|' + document.querySelector('#ann-form button[type=submit]').textContent;
	})()`); got != "Post emergency|Post" {
		t.Errorf("the post button reads %q with an emergency, then urgent; want \"Post emergency|Post\"", got)
	}
	admin.screenshot(shotsDir(t), "admin-composer", 1280, 900, 0)
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(`#ann-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the post", `(confdash.live.state?.announcements || []).some((a) => a.text === 'Your next speaker is here')`, 5*time.Second)
	admin.wait("the message listed with its audience", has("#ann-list .ann-meta", "Hall\u2069 · stage · urgent"), 5*time.Second)
	st := stateOf(t, ts, "view=admin")
	if len(st.Announcements) != 1 {
		t.Fatalf("the server holds %+v, want the one message", st.Announcements)
	}
	if a := st.Announcements[0]; fmt.Sprint(a.Audience) != "[stage]" || a.Level != schedule.LevelUrgent || a.Track != "main" {
		t.Errorf("posted %+v, want audience [stage], level urgent, track main", a)
	}
	if got := stateOf(t, ts, "view=stage&track=main").Announcements; len(got) != 1 {
		t.Errorf("main's stage shows %v, want the message", got)
	}
	if got := stateOf(t, ts, "view=screen&track=main").Announcements; len(got) != 0 {
		t.Errorf("main's room screen shows %v, want nothing", got)
	}

	// Scheduled at 11:30 on the conference's clock (Los Angeles), whatever
	// the browser's zone: pending, listed under Scheduled, shown by nobody.
	err = chromedp.Do(admin.ctx, chromedp.SendKeys(chromedp.CSS("#ann-text"), "Lunch at noon"))
	if err != nil {
		t.Fatal(err)
	}
	eval[bool](admin, `(() => {
		const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
		set('cmp-when', 'at');
		set('cmp-at', '2026-10-06T11:30');
		return true;
	})()`)
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(`#ann-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the scheduled message listed", has("#cmp-pending", "Lunch at noon"), 5*time.Second)
	if eval[bool](admin, `document.querySelector('#ann-list').textContent.includes('Lunch at noon')`) {
		t.Errorf("the scheduled message is listed among those showing")
	}
	st = stateOf(t, ts, "view=admin")
	if len(st.Pending) != 1 || st.Pending[0].StartsAt == nil || !st.Pending[0].StartsAt.Equal(at("11:30:00")) {
		t.Fatalf("pending %+v, want one starting at %v", st.Pending, at("11:30:00"))
	}

	// A stage cue is one click: to main's stage, for five minutes.
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(`button[data-cue="Wrap up"]`))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the cue", `(confdash.live.state?.announcements || []).some((a) => a.text === 'Wrap up')`, 5*time.Second)
	var cue *schedule.Announcement
	for _, a := range stateOf(t, ts, "view=stage&track=main").Announcements {
		if a.Text == "Wrap up" {
			cue = &a
		}
	}
	if cue == nil || fmt.Sprint(cue.Audience) != "[stage]" || cue.Expires == nil || cue.Expires.Sub(cue.Created) != 5*time.Minute {
		t.Errorf("cue %+v, want on main's stage only, for five minutes", cue)
	}
}
