package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheck asks a running server's /healthz; the container image uses it
// as its HEALTHCHECK (distroless images have no curl).
func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "healthcheck [URL]", stderr)
	addr := fs.String("addr", ":8080", "the server's listen address, used when no URL is given")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var target string
	if len(pos) > 0 {
		target = strings.TrimSuffix(pos[0], "/")
	} else if target, err = localURL(*addr); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// localURL is the URL that reaches a server listening on addr from this
// machine: an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") is
// reached on the loopback address of its family, and an IPv6 host keeps its
// brackets.
func localURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: give host:port, e.g. :8080, 127.0.0.1:8080 or [::1]:8080", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
