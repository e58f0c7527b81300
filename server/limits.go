package server

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the per-address limits, applied by cmd/confdash (a zero Config
// has no limits, which is what tests with thousands of loopback clients
// need).
//
// A venue's NAT carries its screens and often the attendees' Wi-Fi, so one
// address may hold hundreds of viewers (DefaultMaxViewersPerAddress) that
// reconnect together after a Wi-Fi blip or a deploy, and a flapping access
// point drops them several times within a minute: the burst lets as many
// connections back at once as one address may hold, and 50 a second refill
// it, while a host looping on connect is held to 50 new connections a
// second. Organizers make a request per action, and with the right token
// they are never limited: the admin budget is spent only by requests
// without it, 20 at once and 5 a second, far below what guessing a token
// needs.
const (
	DefaultConnRate   = 50.0
	DefaultConnBurst  = DefaultMaxViewersPerAddress
	DefaultAdminRate  = 5.0
	DefaultAdminBurst = 20
	// DefaultMaxViewersPerAddress bounds the websockets one address holds
	// at once: generous for a venue's NAT, and a bound on how far one host
	// can inflate the viewer counts or fill --max-viewers.
	DefaultMaxViewersPerAddress = 500
)

// limiterMaxAddrs bounds each limiter's memory (about 100 bytes an address):
// beyond it, addresses whose bucket has refilled are forgotten, and if that
// is not enough, arbitrary ones (an attacker with that many addresses is not
// held back by a per-address limit anyway; the map must not grow without
// bound).
const limiterMaxAddrs = 1 << 16

// limiterSweepEvery is how often, at most, idle addresses are forgotten
// while the map is below its bound, so its memory follows the traffic.
const limiterSweepEvery = time.Minute

// limiter is a token bucket per remote address: burst requests at once, then
// rate a second. IPv6 addresses count per /64, the block one host gets.
type limiter struct {
	rate, burst float64
	max         int

	mu    sync.Mutex
	addrs map[netip.Addr]bucket
	swept time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// newLimiter returns a limiter, or nil (no limit) when rate is not positive.
func newLimiter(rate float64, burst int) *limiter {
	if rate <= 0 || math.IsNaN(rate) {
		return nil
	}
	return &limiter{rate: rate, burst: float64(max(burst, 1)), max: limiterMaxAddrs, addrs: map[netip.Addr]bucket{}}
}

// allow takes a token for addr at now. When there is none it reports how long
// until there is one.
func (l *limiter) allow(addr netip.Addr, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	addr = limiterKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.addrs[addr]
	if ok {
		b.tokens = l.refill(b, now)
	} else {
		if len(l.addrs) >= l.max || now.Sub(l.swept) >= limiterSweepEvery {
			l.sweep(now)
		}
		b.tokens = l.burst
	}
	if !ok || now.After(b.at) { // a clock going back must not refill twice
		b.at = now
	}
	if b.tokens < 1 {
		l.addrs[addr] = b
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	l.addrs[addr] = b
	return true, 0
}

func (l *limiter) refill(b bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+max(now.Sub(b.at).Seconds(), 0)*l.rate)
}

// sweep forgets the addresses whose bucket is full again (nothing is lost: a
// full bucket is what a new address gets), then, if the map is still at its
// bound, arbitrary ones down to three quarters of it, so that the next sweep
// is far away and the cost per request stays constant.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	before := len(l.addrs)
	for a, b := range l.addrs {
		if l.refill(b, now) >= l.burst {
			delete(l.addrs, a)
		}
	}
	if len(l.addrs) >= l.max {
		for a := range l.addrs { // map order is random: no address is favoured
			if len(l.addrs) < l.max*3/4 {
				break
			}
			delete(l.addrs, a)
		}
	}
	// A Go map keeps its memory after deletes: copy the survivors when most
	// are gone, so that one burst of addresses is not held for good.
	if n := len(l.addrs); n < before/4 {
		fresh := make(map[netip.Addr]bucket, n)
		for a, b := range l.addrs {
			fresh[a] = b
		}
		l.addrs = fresh
	}
}

// size is how many addresses the limiter remembers.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs)
}

// limiterKey is the unit an address is limited as: an IPv4 address, or the
// /64 of an IPv6 one (a host gets a whole /64 and can use any address in it).
func limiterKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// remoteAddr is the client's address as the limiters key it: the peer's,
// or, when the peer is a trusted reverse proxy (Config.TrustedProxies), the
// rightmost address in X-Forwarded-For that is not itself a trusted proxy.
// The rightmost untrusted one is the only entry a client cannot forge: a
// proxy appends the address it saw, and everything left of it is whatever
// the client sent. When every hop is trusted, the leftmost one is the key:
// the request came from inside the trusted range (a client on the proxies'
// own network), and keying it by the proxy would put every such client in
// one bucket. That is also why a trusted range must hold only proxies: a
// client inside it is believed about any address it names (the server
// warns at start-up about ranges wide enough to take in clients).
func (s *Server) remoteAddr(c *fiber.Ctx) netip.Addr {
	a, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	a = a.Unmap()
	if !s.trustedProxy(a) {
		return a
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: stop at the last address we can trust
		}
		if h = h.Unmap(); !s.trustedProxy(h) {
			return h
		}
		a = h
	}
	return a
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR prefixes
// ("127.0.0.1, 10.0.0.0/8").
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// limits are the per-address limiters and what they count.
type limits struct {
	conn, admin *limiter
	// adminAll is one budget for the whole server, spent by every admin
	// request without the right token beside its address's: a client
	// inside a trusted-proxy range names a new address in X-Forwarded-For
	// with every request, and its per-address budget is always full. It
	// costs organizers nothing (the right token is never limited).
	adminAll      *limiter
	sockets       *addrCount
	adminRejected *prometheus.CounterVec // reason
}

// addrCount counts the open websockets of each address (keyed as the
// limiters key it) against a bound; a nil one counts nothing.
type addrCount struct {
	max int
	mu  sync.Mutex
	n   map[netip.Addr]int
}

func newAddrCount(max int) *addrCount {
	if max <= 0 {
		return nil
	}
	return &addrCount{max: max, n: map[netip.Addr]int{}}
}

// full reports whether addr holds its maximum now.
func (a *addrCount) full(addr netip.Addr) bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[limiterKey(addr)] >= a.max
}

// acquire counts one more connection for addr unless it holds its maximum.
// Every true must be matched by one release.
func (a *addrCount) acquire(addr netip.Addr) bool {
	if a == nil {
		return true
	}
	k := limiterKey(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[k] >= a.max {
		return false
	}
	a.n[k]++
	return true
}

// release forgets one connection of addr; an address with none left is
// dropped, so the map holds only addresses with open connections.
func (a *addrCount) release(addr netip.Addr) {
	if a == nil {
		return
	}
	k := limiterKey(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[k]--; a.n[k] <= 0 {
		delete(a.n, k)
	}
}

func newLimits(cfg Config, reg prometheus.Registerer) *limits {
	l := &limits{
		conn:  newLimiter(cfg.ConnRate, cfg.ConnBurst),
		admin: newLimiter(cfg.AdminRate, cfg.AdminBurst),
		// Room for a few addresses failing at once (a console with an old
		// token on several laptops), far below what guessing a token needs.
		adminAll: newLimiter(cfg.AdminRate*adminAllFactor, cfg.AdminBurst*adminAllFactor),
		sockets:  newAddrCount(cfg.MaxViewersPerAddress),
		adminRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_admin_requests_rejected_total",
			Help: "Admin API requests refused before they ran, by reason (rate_limit, unauthorized).",
		}, []string{"reason"}),
	}
	reg.MustRegister(l.adminRejected)
	return l
}

// tooMany answers 429 with the project's error shape and a Retry-After in
// whole seconds (at least 1).
func tooMany(c *fiber.Ctx, wait time.Duration, what string) error {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return apiError(fiber.StatusTooManyRequests, "rate_limited",
		"too many "+what+" from your address: retry in "+strconv.Itoa(secs)+" s")
}

// limitAdminFailure spends a token of the address's admin budget for a
// request without the right token (requireAdmin), answering 429 when there
// is none left.
func (s *Server) limitAdminFailure(c *fiber.Ctx) (bool, error) {
	now := time.Now()
	ok, wait := s.lim.admin.allow(s.remoteAddr(c), now)
	if ok {
		ok, wait = s.lim.adminAll.allow(netip.Addr{}, now)
	}
	if !ok {
		s.lim.adminRejected.WithLabelValues("rate_limit").Inc()
		return false, tooMany(c, wait, "admin requests without the right token")
	}
	return true, nil
}

// adminAllFactor sizes the server's budget of admin requests without the
// right token (limits.adminAll) as that many addresses' budgets.
const adminAllFactor = 4

// limitUpgrade reports whether a new websocket from c's address is within the
// connection limit, answering 429 when it is not.
func (s *Server) limitUpgrade(c *fiber.Ctx) (bool, error) {
	if ok, wait := s.lim.conn.allow(s.remoteAddr(c), time.Now()); !ok {
		s.m.upgradesRejected.WithLabelValues("rate_limit").Inc()
		return false, tooMany(c, wait, "new connections")
	}
	return true, nil
}

// A client pings to estimate the server clock's offset: three times after
// hello, then every 30 s (frontend/assets/live.js). pingBurst and pingEvery
// leave it ample room (ten at once, then one per 5 s) and close a connection
// that floods pings, JSON or websocket frames alike, with 1008: answering
// each one is cheap, but a flood is not a client of this protocol.
const (
	pingBurst = 10
	pingEvery = 5 * time.Second
)

// pingBudget is one connection's allowance of pings: 16 bytes beside the
// reader, no timer.
type pingBudget struct {
	tokens float64
	at     time.Time
}

func newPingBudget(now time.Time) pingBudget { return pingBudget{tokens: pingBurst, at: now} }

// take spends one ping and reports whether the budget allowed it.
func (b *pingBudget) take(now time.Time) bool {
	b.tokens = min(pingBurst, b.tokens+max(now.Sub(b.at).Seconds(), 0)/pingEvery.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
