package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

func checkAdmin(ctx context.Context, client *http.Client, base, token string) error {
	status, _, _, err := adminRequest(ctx, client, http.MethodGet, base+"/api/v1/admin", token, nil)
	if err != nil {
		return fmt.Errorf("%s: %w (is the server running?)", base, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s/api/v1/admin answered %d %s: pass the server's CONFDASH_ADMIN_TOKEN", base, status, http.StatusText(status))
	}
	return nil
}

// adminRequest sends an admin API request and returns the answer's status
// and body, and when the request that got it started (Unix nanoseconds). A
// 429 (the server's limit on admin requests) is waited out and retried.
func adminRequest(ctx context.Context, client *http.Client, method, u, token string, body []byte) (int, []byte, int64, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return 0, nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		at := time.Now().UnixNano()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, at, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || attempt == 5 {
			return resp.StatusCode, b, at, nil
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 10 {
			wait = 1
		}
		if err := sleepCtx(ctx, time.Duration(wait)*time.Second); err != nil {
			return 0, nil, at, err
		}
	}
}

// postAnnouncement posts one announcement and returns its id and the trigger
// time: when the request that succeeded started.
func postAnnouncement(ctx context.Context, client *http.Client, base, token, text string) (string, int64, error) {
	body, _ := json.Marshal(map[string]string{"text": text})
	status, b, at, err := adminRequest(ctx, client, http.MethodPost, base+"/api/v1/announcements", token, body)
	if err != nil {
		return "", at, err
	}
	if status != http.StatusCreated {
		return "", at, fmt.Errorf("POST /api/v1/announcements answered %d %s: %s", status, http.StatusText(status), bytes.TrimSpace(b))
	}
	var ann struct {
		ID string `json:"id"`
	}
	json.Unmarshal(b, &ann)
	return ann.ID, at, nil
}

func deleteAnnouncement(ctx context.Context, client *http.Client, base, token, id string) {
	if id != "" {
		adminRequest(ctx, client, http.MethodDelete, base+"/api/v1/announcements/"+url.PathEscape(id), token, nil)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
