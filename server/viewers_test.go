package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestViewerCountsAudience: the viewer counts go to the admin console
// always, and to the public pages (tab, screen, overlay, stage) only with
// PublicViewerCounts: a public page must not get them at all, neither with
// its first messages nor when someone arrives.
func TestViewerCountsAudience(t *testing.T) {
	for _, public := range []bool{false, true} {
		name := "private"
		if public {
			name = "public"
		}
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, Config{PublicViewerCounts: public, AdminToken: adminToken})
			admin := ts.dial(t, "admin", "view=admin")
			pages := []*client{
				ts.dial(t, "tab", "view=tab"),
				ts.dial(t, "tab watching main", "view=tab&watch=main"),
				ts.dial(t, "screen", "view=screen&track=main"),
				ts.dial(t, "overlay", "view=overlay&track=side"),
			}
			// The console sees every arrival: one on main (the tab that
			// watches it) plus the screen, one on side, four in all.
			want := map[string]int{"main": 2, "side": 1}
			waitMsg(t, admin, 3*viewersPeriod+time.Second, "viewers total 4", isViewers(4, want))

			for _, cl := range pages {
				// The console's count went out after every page's arrival:
				// a viewers message for this page, if any, was queued before
				// the pong that answers this ping.
				if err := cl.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":1}`)); err != nil {
					t.Fatalf("%s: send ping: %v", cl.name, err)
				}
				var got []viewersMsg
				for {
					m, raw, err := cl.read(readTimeout)
					if err != nil {
						t.Fatalf("%s: waiting for the pong: %v", cl.name, err)
					}
					if m.Type == "pong" {
						break
					}
					if m.Type == "viewers" {
						var v viewersMsg
						if err := json.Unmarshal(raw, &v); err != nil {
							t.Fatalf("%s: viewers message %s: %v", cl.name, raw, err)
						}
						got = append(got, v)
					}
				}
				switch {
				case !public && len(got) > 0:
					t.Errorf("%s: sent %d viewers messages (last %+v) without PublicViewerCounts, want none", cl.name, len(got), got[len(got)-1])
				case public && len(got) == 0:
					t.Errorf("%s: sent no viewers message with PublicViewerCounts", cl.name)
				}
			}
			if public {
				// And they keep coming: the public pages see the next arrival.
				ts.dial(t, "late tab", "view=tab&watch=side")
				want["side"]++
				for _, cl := range pages {
					waitMsg(t, cl, 3*viewersPeriod+time.Second, "viewers total 5", isViewers(5, want))
				}
			}
		})
	}
}
