package cluster

import "testing"

// TestRedactURL: passwords and tokens in --nats never reach the log.
func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://ops:hunter2@n1:4222,nats://ops:hunter2@n2:4222", "nats://ops@n1:4222,nats://ops@n2:4222"},
		{"nats://s3cr3t-token@n1:4222", "nats://REDACTED@n1:4222"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := sanitizeKey("web-1.example.org-42"), "web-1_example_org-42"; got != want {
		t.Errorf("sanitizeKey = %q, want %q", got, want)
	}
}
