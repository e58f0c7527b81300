package frontend_test

// Announcement levels on the stream overlay and the attendees' tab: an
// urgent one is highlighted and comes first; an emergency takes the
// overlay's whole frame (even with ?announcements=off) and heads the tab,
// whole and full-width, until it is removed.

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
)

// postLevel sends an announcement for the stream and the tab through the admin
// API and gives its id.
func postLevel(t *testing.T, ts *testServer, text, level string) string {
	t.Helper()
	code, body := ts.admin("POST", "/api/v1/announcements", map[string]any{
		"text": text, "level": level, "audience": []string{"stream", "tab"},
	})
	if code != http.StatusCreated {
		t.Fatalf("post the %s announcement: %d %s", level, code, body)
	}
	var a schedule.Announcement
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// takenOver is empty when the overlay's frame is the emergency: the slide
// covers the viewport, is opaque, is the topmost element at the corners
// and the centre, and holds the message in large type.
const takenOver = `(() => {
	const s = document.querySelector('#slide'), r = s.getBoundingClientRect();
	if (s.hidden || r.left > 0 || r.top > 0 || r.right < innerWidth || r.bottom < innerHeight) return 'slide at ' + JSON.stringify(r);
	const bg = getComputedStyle(s).backgroundColor;
	if (bg !== 'rgb(176, 0, 32)') return 'slide background ' + bg;
	for (const [x, y] of [[1, 1], [innerWidth / 2, innerHeight / 2], [innerWidth - 2, innerHeight - 2]])
		if (!document.elementFromPoint(x, y)?.closest('#slide')) return 'at ' + x + ',' + y + ': ' + document.elementFromPoint(x, y)?.className;
	const title = document.querySelector('#slide-title');
	if (!title.textContent.includes('EVACUATE')) return 'headline ' + title.textContent;
	const px = parseFloat(getComputedStyle(title).fontSize);
	if (px < innerHeight / 20) return 'headline at ' + px + 'px';
	return '';
})()`

// normalOverlay is empty when the overlay shows its card and no slide.
const normalOverlay = `(() => {
	if (document.body.hasAttribute('data-emergency')) return 'still marked emergency';
	if (!document.querySelector('#slide').hidden) return 'the slide shows';
	const c = document.querySelector('#card');
	if (c.hidden || c.getBoundingClientRect().height === 0 || !document.querySelector('#title').textContent) return 'no card';
	if (document.body.innerText.includes('EVACUATE')) return 'the emergency still shows';
	return '';
})()`

// tabBand gives the tab's announcements in order: level, shown, and for the
// first its geometry against the viewport and its background.
const tabBand = `(() => {
	const els = [...document.querySelectorAll('#announcements .announcement')];
	const first = els[0], r = first?.getBoundingClientRect();
	return JSON.stringify({
		order: els.map((el) => el.dataset.level + (el.hidden ? '' : '*') + ':' + el.querySelector('.text').textContent.slice(0, 8)),
		full: !!first && r.left <= 0 && r.right >= innerWidth,
		bg: first ? getComputedStyle(first).backgroundColor : '',
	});
})()`

func TestLevelsOverlayAndTab(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, at("09:12:00"), 1)
	overlay := b.open(t, "overlay", ts.url+"/overlay/main", tabOpt{width: 1280, height: 720, transparent: true})
	quiet := b.open(t, "overlay without announcements", ts.url+"/overlay/main?announcements=off", tabOpt{width: 1280, height: 720, transparent: true})
	phone := b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true})
	for _, tb := range []*tab{overlay, quiet, phone} {
		tb.wait("connected", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	}
	for _, tb := range []*tab{overlay, quiet} {
		tb.wait("the card", `document.querySelector('#title').textContent !== ''`, 5*time.Second)
	}

	postLevel(t, ts, "Coffee is in the foyer", "info")
	postLevel(t, ts, "Room B is full: follow the stream", "urgent")

	// The urgent one comes first, in the red band.
	overlay.wait("the urgent band", `document.querySelector('#ann').dataset.level === 'urgent' && !document.querySelector('#ann').hidden`, 5*time.Second)
	if got := eval[string](overlay, `[...document.querySelectorAll('#ann-list p')].filter((p) => !p.hidden).map((p) => p.textContent).join('|') + ' ' + getComputedStyle(document.querySelector('#ann')).backgroundColor`); got != "Room B is full: follow the stream rgb(176, 0, 32)" {
		t.Errorf("the overlay's band shows %q, want the urgent message on red", got)
	}
	phone.wait("both announcements", `document.querySelectorAll('#announcements .announcement').length === 2`, 5*time.Second)
	var band struct {
		Order []string
		Full  bool
		Bg    string
	}
	if err := json.Unmarshal([]byte(eval[string](phone, tabBand)), &band); err != nil {
		t.Fatal(err)
	}
	if len(band.Order) != 2 || band.Order[0][:6] != "urgent" || band.Order[1][:4] != "info" {
		t.Errorf("the tab orders its announcements %v, want the urgent one first", band.Order)
	}
	if bg := eval[string](phone, `getComputedStyle(document.querySelector('#announcements [data-level=urgent]')).borderColor`); bg != "rgb(208, 2, 27)" {
		t.Errorf("the tab's urgent announcement has border %s, want the red of urgent", bg)
	}
	if eval[bool](quiet, `!document.querySelector('#ann').hidden || document.body.innerText.includes('Room B')`) {
		t.Errorf("with ?announcements=off the overlay shows the band")
	}

	em := postLevel(t, ts, "EVACUATE the building by the nearest marked exit", "emergency")
	for _, tb := range []*tab{overlay, quiet} {
		tb.wait("the emergency", `document.body.hasAttribute('data-emergency')`, 5*time.Second)
		tb.wait("the entrance animations to end", settled, 5*time.Second)
		if got := eval[string](tb, takenOver); got != "" {
			t.Errorf("%s: the emergency does not take the frame over: %s", tb.name, got)
		}
	}
	overlay.screenshot(shotsDir(t), "overlay-emergency", 1280, 720, 0)

	phone.wait("the emergency", `document.querySelector('#announcements .announcement')?.dataset.level === 'emergency'`, 5*time.Second)
	if err := json.Unmarshal([]byte(eval[string](phone, tabBand)), &band); err != nil {
		t.Fatal(err)
	}
	if len(band.Order) != 3 || band.Order[0] != "emergency*:EVACUATE" || !band.Full || band.Bg != "rgb(176, 0, 32)" {
		t.Errorf("the tab shows %+v, want the emergency first, shown, across the full width, on red", band)
	}
	if got := eval[string](phone, `(() => { const b = document.querySelector('#announcements .announcement .ann-body'); return b.scrollHeight > b.clientHeight + 1 ? 'cut' : b.textContent; })()`); got != "EveryoneEVACUATE the building by the nearest marked exit" {
		t.Errorf("the tab's emergency reads %q, want its whole text", got)
	}
	phone.screenshot(shotsDir(t), "tab-emergency", 390, 844, 0)
	// The others take turns below it (every 8 s); the emergency stays.
	shown := `[...document.querySelectorAll('#announcements .announcement')].slice(1).find((el) => !el.hidden)?.dataset.level`
	before := eval[string](phone, shown)
	phone.wait("the others to take turns", shown+` !== '`+before+`'`, 12*time.Second)
	if got := eval[bool](phone, `!document.querySelector('#announcements .announcement').hidden`); !got {
		t.Errorf("the tab's emergency rotated away")
	}

	// Removed, both views are themselves again.
	if code, body := ts.admin("DELETE", "/api/v1/announcements/"+em, nil); code != http.StatusNoContent {
		t.Fatalf("remove the emergency: %d %s", code, body)
	}
	for _, tb := range []*tab{overlay, quiet} {
		tb.wait("the takeover to end", `!document.body.hasAttribute('data-emergency')`, 5*time.Second)
		if got := eval[string](tb, normalOverlay); got != "" {
			t.Errorf("%s after the emergency: %s", tb.name, got)
		}
	}
	if eval[bool](quiet, `!document.querySelector('#ann').hidden`) {
		t.Errorf("with ?announcements=off the band shows after the emergency")
	}
	overlay.wait("the band back", `!document.querySelector('#ann').hidden`, 5*time.Second)
	phone.wait("the emergency to go", `document.querySelectorAll('#announcements .announcement').length === 2`, 5*time.Second)
	if err := json.Unmarshal([]byte(eval[string](phone, tabBand)), &band); err != nil {
		t.Fatal(err)
	}
	if band.Order[0][:6] != "urgent" || band.Bg == "rgb(176, 0, 32)" {
		t.Errorf("the tab after the emergency shows %+v, want the urgent one first in its own style", band)
	}
}
