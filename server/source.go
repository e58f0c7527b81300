package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

// Source is where the schedule comes from: a file, re-read on reload, or a
// URL (a pretalx or frab export), fetched conditionally and kept on disk so a
// restart while the conference's site is down still has a schedule.
type Source struct {
	Location string // file path or http(s) URL
	Options  schedule.Options
	// CachePath keeps the last good copy of a URL's schedule.
	CachePath string
	Client    *http.Client

	mu            sync.Mutex
	etag, lastMod string
}

// ErrNotModified means the source has not changed since the last load.
var ErrNotModified = errors.New("schedule not modified")

// IsURL reports whether the source is fetched over HTTP.
func (s *Source) IsURL() bool {
	return strings.HasPrefix(s.Location, "http://") || strings.HasPrefix(s.Location, "https://")
}

// Load reads or fetches the schedule. For a URL it sends If-None-Match and
// If-Modified-Since and returns ErrNotModified on a 304. A fetched schedule
// that parses is written to CachePath.
func (s *Source) Load(ctx context.Context) (*schedule.Schedule, []schedule.Diagnostic, error) {
	if !s.IsURL() {
		data, err := readSourceFile(s.Location)
		if err != nil {
			return nil, nil, err
		}
		return load.Parse(s.Location, data, s.Options)
	}
	data, err := s.fetch(ctx)
	if err != nil {
		return nil, nil, err
	}
	sc, warns, err := load.Parse(s.Location, data, s.Options)
	if err != nil {
		return nil, warns, err
	}
	if s.CachePath != "" {
		if err := writeFileAtomic(s.CachePath, data); err != nil {
			return sc, warns, fmt.Errorf("schedule fetched but not cached: %w", err)
		}
	}
	return sc, warns, nil
}

// SourceError is a schedule that could not be read or fetched at all (as
// opposed to one that was read and is invalid).
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

func readSourceFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &SourceError{err}
	}
	defer f.Close()
	data, err := load.ReadLimited(f, path)
	if err != nil {
		return nil, &SourceError{err}
	}
	return data, nil
}

// LoadCached parses the last good copy of a URL's schedule, for a start
// while the source is down. A copy that no longer parses (written by an
// older version, which checked less) is renamed to CachePath+".invalid", so
// that it is kept for a look but never tried again, and the error says so.
func (s *Source) LoadCached() (*schedule.Schedule, []schedule.Diagnostic, error) {
	if s.CachePath == "" {
		return nil, nil, errors.New("no cached copy configured")
	}
	sc, warns, err := load.ParseFile(s.CachePath, s.Options)
	var errs schedule.Errors
	if err != nil && errors.As(err, &errs) {
		aside := s.CachePath + ".invalid"
		if rerr := os.Rename(s.CachePath, aside); rerr != nil {
			return nil, warns, fmt.Errorf("the cached copy of the schedule is not valid, and could not be moved aside (%v); delete it:\n%w", rerr, err)
		}
		return nil, warns, fmt.Errorf("the cached copy of the schedule is not valid and was moved to %s; the next good fetch replaces it:\n%w", aside, err)
	}
	return sc, warns, err
}

// maxRedirects bounds the redirects followed to fetch a schedule URL: a
// pretalx or frab export redirects once or twice at most.
const maxRedirects = 5

// checkRedirect follows a redirect only on the URL's own host (to https
// from http, or to the same scheme): the schedule is whatever the organizers'
// site serves, and a redirect elsewhere must not make the server fetch, and
// show in errors, another site's content.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("more than %d redirects: give the schedule's final URL", maxRedirects)
	}
	first := via[0].URL
	if !strings.EqualFold(req.URL.Hostname(), first.Hostname()) {
		return fmt.Errorf("redirected to another host (%s): give the schedule's final URL if that host is meant", req.URL.Hostname())
	}
	if req.URL.Scheme != first.Scheme && !(first.Scheme == "http" && req.URL.Scheme == "https") {
		return fmt.Errorf("redirected from %s to %s: give the schedule's final URL", first.Scheme, req.URL.Scheme)
	}
	return nil
}

// Forget drops the validators, so the next Load fetches the whole document
// (an explicit reload must not be answered with "not modified").
func (s *Source) Forget() {
	s.mu.Lock()
	s.etag, s.lastMod = "", ""
	s.mu.Unlock()
}

func (s *Source) fetch(ctx context.Context) ([]byte, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	if s.Client != nil {
		c := *s.Client
		client = &c
	}
	// Whatever the client, redirects follow checkRedirect.
	client.CheckRedirect = checkRedirect
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Location, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "confdash/"+Version())
	s.mu.Lock()
	if s.etag != "" {
		req.Header.Set("If-None-Match", s.etag)
	}
	if s.lastMod != "" {
		req.Header.Set("If-Modified-Since", s.lastMod)
	}
	s.mu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		return nil, &SourceError{fmt.Errorf("fetch %s: %w", s.Location, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, ErrNotModified
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &SourceError{fmt.Errorf("fetch %s: %s", s.Location, resp.Status)}
	}
	data, err := load.ReadLimited(resp.Body, s.Location)
	if err != nil {
		return nil, &SourceError{err}
	}
	s.mu.Lock()
	s.etag, s.lastMod = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	s.mu.Unlock()
	return data, nil
}

// writeFileAtomic replaces path with data so that a crash leaves the old or
// the new content, never a torn file. A path that is a symbolic link (a state
// file kept on a mounted volume) is written through: the file the link leads
// to is replaced and the link stays a link. The temporary file is made in
// that file's directory, since a rename is atomic only within one file
// system. The file keeps its permissions; a new one is private (0600).
func writeFileAtomic(path string, data []byte) error {
	target, err := resolveLinks(path)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(target); err == nil {
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, filepath.Base(target)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// Chmod, not the mode CreateTemp was given: the umask must not narrow
	// what the operator set on the file.
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// resolveLinks returns the file a write of path must replace: path with its
// directories' symbolic links resolved, and, when path is itself a link, the
// file at the end of its links. It is resolved at every write, so a link
// re-pointed while the server runs is followed. A link whose target does not
// exist yet leads to that target (the first write creates it there); the
// directory a new file goes into must exist.
func resolveLinks(path string) (string, error) {
	p := path
	for range 40 { // the kernel's own bound on links in one lookup
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", err
			}
			return filepath.Join(dir, filepath.Base(p)), nil
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink == 0:
			return filepath.EvalSymlinks(p)
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			// Relative to the link's real directory: joining lexically
			// would take ".." from the link's name, not from where it is.
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", err
			}
			link = filepath.Join(dir, link)
		}
		p = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// refreshLoop fetches a URL source every period and applies good changes at
// once; a failed or invalid fetch keeps the running schedule, is logged and
// counted.
func (s *Server) refreshLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		s.refreshSource(ctx)
	}
}

// refreshSource loads the source once and applies the result.
func (s *Server) refreshSource(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	sc, warns, err := s.cfg.Source.Load(ctx)
	switch {
	case errors.Is(err, ErrNotModified):
		s.m.reloads.WithLabelValues("unchanged").Inc()
		return nil
	case err != nil && sc == nil:
		var se *SourceError
		result := "invalid"
		if errors.As(err, &se) {
			result = "failed"
		}
		s.m.reloads.WithLabelValues(result).Inc()
		s.log.Warn("schedule refresh failed; the running schedule stays", "source", s.cfg.Source.Location, "err", err)
		return err
	case err != nil: // fetched and valid, but not cached
		s.log.Warn("schedule refresh", "err", err)
	}
	for _, w := range warns {
		s.log.Debug("schedule", "warning", w.String())
	}
	s.adoptSchedule(ctx, sc) // logs what it could not keep of removed rooms
	return nil
}
