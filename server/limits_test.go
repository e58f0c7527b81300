package server

import (
	"fmt"
	"math"
	"net/netip"
	"testing"
	"time"
)

var limT0 = time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC)

// TestLimiterBucket: burst at once, then rate a second, per address; a
// refusal says how long until the next token.
func TestLimiterBucket(t *testing.T) {
	l := newLimiter(2, 3)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := range 3 {
		if ok, _ := l.allow(a, limT0); !ok {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := l.allow(a, limT0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth request: allowed %v, wait %v; want refused, 500ms (2 a second)", ok, wait)
	}
	if ok, _ := l.allow(b, limT0); !ok {
		t.Fatal("another address was refused: limits are per address")
	}
	if ok, _ := l.allow(a, limT0.Add(500*time.Millisecond)); !ok {
		t.Fatal("refused after the token came back")
	}
	if ok, _ := l.allow(a, limT0.Add(500*time.Millisecond)); ok {
		t.Fatal("allowed with no token left")
	}
	// A long pause refills up to the burst, not beyond.
	later := limT0.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow(a, later); !ok {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if ok, _ := l.allow(a, later); ok {
		t.Fatal("an hour of quiet gave more than the burst")
	}
	// A clock that goes back (it is the monotonic one, but still) takes
	// nothing away and gives nothing.
	if ok, _ := l.allow(a, limT0); ok {
		t.Fatal("a clock going back gave a token")
	}
}

// TestLimiterOff: a rate of zero (or less, or NaN) is no limit at all.
func TestLimiterOff(t *testing.T) {
	for _, rate := range []float64{0, -1, math.NaN()} {
		l := newLimiter(rate, 1)
		if l != nil {
			t.Fatalf("newLimiter(%v) = %+v, want nil (no limit)", rate, l)
		}
		for range 1000 {
			if ok, _ := l.allow(netip.MustParseAddr("192.0.2.1"), limT0); !ok {
				t.Fatal("a nil limiter refused")
			}
		}
	}
}

// TestLimiterKeys: an IPv6 host is limited by its /64 (it can use any
// address in it); an IPv4 address written as IPv6 is the IPv4 address.
func TestLimiterKeys(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"192.0.2.1", "::ffff:192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
	} {
		l := newLimiter(1, 1)
		l.allow(netip.MustParseAddr(tc.a), limT0)
		ok, _ := l.allow(netip.MustParseAddr(tc.b), limT0)
		if ok == tc.same {
			t.Errorf("%s then %s: second allowed %v, want %v (same bucket: %v)", tc.a, tc.b, ok, !tc.same, tc.same)
		}
	}
}

// TestLimiterBounded: the limiter never remembers more than its bound of
// addresses, however many come; it forgets those whose bucket is full again
// (nothing is lost), and under a flood of busy addresses, arbitrary ones.
func TestLimiterBounded(t *testing.T) {
	l := newLimiter(1, 5)
	l.max = 1000
	addr := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	}
	// 5,000 addresses, each with a request a millisecond apart: all busy.
	for i := range 5000 {
		l.allow(addr(i), limT0.Add(time.Duration(i)*time.Millisecond))
		if n := l.size(); n > l.max {
			t.Fatalf("after %d addresses the limiter holds %d, above its bound %d", i+1, n, l.max)
		}
	}
	// Once their buckets are full again, the next sweep forgets them all.
	quiet := limT0.Add(time.Hour)
	l.allow(addr(99999), quiet)
	if n := l.size(); n != 1 {
		t.Errorf("after an hour of quiet the limiter holds %d addresses, want 1", n)
	}
	// 5,000 busy addresses at one instant: arbitrary ones are forgotten.
	for i := range 5000 {
		l.allow(addr(200000+i), quiet)
		if n := l.size(); n > l.max {
			t.Fatalf("after %d busy addresses the limiter holds %d, above its bound %d", i+1, n, l.max)
		}
	}
}

// TestLimiterSweepKeepsBusy: a periodic sweep forgets idle addresses and
// keeps the ones still short of tokens.
func TestLimiterSweepKeepsBusy(t *testing.T) {
	l := newLimiter(1, 2)
	idle, busy := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	l.allow(idle, limT0)
	sweep := limT0.Add(limiterSweepEvery)
	l.allow(busy, sweep.Add(-100*time.Millisecond))
	l.allow(busy, sweep.Add(-100*time.Millisecond))
	l.allow(netip.MustParseAddr("192.0.2.3"), sweep) // a newcomer: sweeps
	if n := l.size(); n != 2 {
		t.Errorf("after the sweep the limiter holds %d addresses, want 2 (busy and the newcomer)", n)
	}
	if ok, _ := l.allow(busy, sweep); ok {
		t.Error("the busy address got a token: the sweep forgot its count")
	}
}

// TestPingBudget: ten pings at once, then one per 5 s.
func TestPingBudget(t *testing.T) {
	b := newPingBudget(limT0)
	for i := range pingBurst {
		if !b.take(limT0) {
			t.Fatalf("ping %d of the burst refused", i+1)
		}
	}
	if b.take(limT0) {
		t.Fatal("a ping beyond the burst was allowed")
	}
	if !b.take(limT0.Add(pingEvery)) {
		t.Fatal("a ping after pingEvery was refused")
	}
	// The frontend's rhythm for a day: three after hello, one per 30 s.
	b = newPingBudget(limT0)
	at := limT0
	for i := range 3 * 60 * 8 {
		if i >= 3 {
			at = at.Add(30 * time.Second)
		}
		if !b.take(at) {
			t.Fatalf("the frontend's ping %d refused", i+1)
		}
	}
}

func ExampleDefaultConnRate() {
	// A thousand viewers behind one address, reconnecting together: the
	// burst lets the first ones in at once, the rate the rest.
	fmt.Printf("%.0f s\n", (1000-DefaultConnBurst)/DefaultConnRate)
	// Output: 10 s
}
