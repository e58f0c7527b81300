package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/confdash/confdash/frontend"
	"github.com/gofiber/fiber/v2"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
)

// assetSet is the embedded frontend, prepared once at start: every file
// compressed with brotli and gzip, pages with their asset URLs filled in.
// Assets live under /assets/<version>/, where version hashes all of them, so
// they can be cached for a year; pages are revalidated on every load.
type assetSet struct {
	version string
	files   map[string]*asset // by path under assets/
	pages   map[string]*asset // by page name: tab, screen, overlay, stage, admin
}

type asset struct {
	ctype          string
	etag           string // contentHash of raw
	raw, gz, br    []byte
	immutableCache bool
}

// sharedAssets prepares the embedded frontend once per process: compressing
// every file at the best level is the slowest part of starting a server.
var sharedAssets = sync.OnceValues(loadAssets)

func loadAssets() (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}, pages: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(frontend.FS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("frontend assets: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	raw := map[string][]byte{}
	for _, n := range names {
		b, err := fs.ReadFile(frontend.FS, n)
		if err != nil {
			return nil, err
		}
		raw[n] = b
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	set.version = hex.EncodeToString(h.Sum(nil))[:12]
	m := minifier()
	for _, n := range names {
		b, err := minified(m, n, raw[n])
		if err != nil {
			return nil, err
		}
		set.files[strings.TrimPrefix(n, "assets/")] = newAsset(n, b, true)
	}
	pages, err := fs.Glob(frontend.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		b, err := fs.ReadFile(frontend.FS, p)
		if err != nil {
			return nil, err
		}
		b = bytes.ReplaceAll(b, []byte("{{ASSETS}}"), []byte("/assets/"+set.version))
		set.pages[strings.TrimSuffix(path.Base(p), ".html")] = newAsset(p, b, false)
	}
	return set, nil
}

// minifier drops what the browser does not need from scripts and styles:
// the sources keep their comments, which explain why (they are most of the
// bytes), and the pages still load no build step's output. Names are kept,
// so a kiosk's console shows the source's names.
func minifier() *minify.M {
	m := minify.New()
	m.Add("text/css", &css.Minifier{})
	m.Add("text/javascript", &js.Minifier{KeepVarNames: true})
	return m
}

// minified is the file as served: scripts and styles minified, the rest
// as embedded. A file the minifier cannot read fails the start, naming it.
func minified(m *minify.M, name string, b []byte) ([]byte, error) {
	var ctype string
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript"
	case ".css":
		ctype = "text/css"
	default:
		return b, nil
	}
	out, err := m.Bytes(ctype, b)
	if err != nil {
		return nil, fmt.Errorf("frontend asset %s: %w", name, err)
	}
	return out, nil
}

func newAsset(name string, b []byte, immutable bool) *asset {
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) { // the host's mime table may lack these
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	case ".webmanifest":
		ctype = "application/manifest+json"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	a := &asset{ctype: ctype, etag: contentHash(b), raw: b, immutableCache: immutable}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	a.gz = gz.Bytes()
	var br bytes.Buffer
	// A 64 KB window holds any of these files whole; the default (4 MB at
	// the best level) only costs memory at start-up that is never returned.
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 16})
	bw.Write(b)
	bw.Close()
	a.br = br.Bytes()
	return a
}

// serve writes the asset in the best encoding the client accepts, with an
// entity tag per encoding, and answers revalidations with 304 (etag.go).
func (a *asset) serve(c *fiber.Ctx) error {
	enc := acceptedEncoding(c)
	body := a.raw
	switch enc {
	case "br":
		body = a.br
	case "gzip":
		body = a.gz
	}
	tag := entityTag(a.etag, enc)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderETag, tag)
	if a.immutableCache {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	if notModified(c, tag) {
		return sendNotModified(c)
	}
	if enc != "" {
		c.Set(fiber.HeaderContentEncoding, enc)
	}
	return c.Send(body)
}
