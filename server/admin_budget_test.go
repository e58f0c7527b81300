package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
)

// TestAdminGuessingBoundedAcrossAddresses: a client inside a trusted-proxy
// range names any address in X-Forwarded-For, so its per-address admin
// budget is new with every request. Wrong tokens also spend one budget of
// the whole server, so guessing stays bounded however many addresses are
// named; the right token is still never limited.
func TestAdminGuessingBoundedAcrossAddresses(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.001, AdminBurst: 2,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	codes := map[int]int{}
	for i := range 40 {
		req, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/admin", nil)
		req.Header.Set("Authorization", "Bearer wrong")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		codes[readResponse(t, resp).status]++
	}
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusUnauthorized] > 40/2 {
		t.Errorf("40 wrong tokens from 40 named addresses: %v, want most refused with 429", codes)
	}
	ts.admin(t, http.MethodGet, "/api/v1/admin", "", http.StatusOK)
	ts.announce(t, "Doors open", "")
}
