package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	target := "http://127.0.0.1" + *addr
	if host, port, ok := strings.Cut(*addr, ":"); ok && host != "" && host != "0.0.0.0" {
		target = "http://" + host + ":" + port
	}
	if len(pos) > 0 {
		target = strings.TrimSuffix(pos[0], "/")
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
