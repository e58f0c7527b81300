package server

import (
	"bytes"
	"compress/gzip"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// compressedDoc is a large document every client fetches (the schedule
// document, an iCalendar feed), compressed once per encoding on the first
// request that accepts it. The compress middleware would compress it again
// for every request: tens of milliseconds of CPU for a large conference, on
// public endpoints without a limit. A response that already has a
// Content-Encoding is left alone by the middleware.
type compressedDoc struct {
	raw      []byte
	gzip, br func() []byte
	hash     func() string // contentHash of raw, for the entity tags (etag.go)
}

func newCompressedDoc(raw []byte) *compressedDoc {
	return &compressedDoc{
		raw:  raw,
		hash: sync.OnceValue(func() string { return contentHash(raw) }),
		gzip: sync.OnceValue(func() []byte {
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
			w.Write(raw)
			w.Close()
			return b.Bytes()
		}),
		br: sync.OnceValue(func() []byte {
			var b bytes.Buffer
			w := brotli.NewWriterLevel(&b, brotli.DefaultCompression)
			w.Write(raw)
			w.Close()
			return b.Bytes()
		}),
	}
}

// send writes the document in the best encoding the client accepts, with
// an entity tag per encoding, or a 304 when the client has that one. The
// caller sets Cache-Control and Content-Type first, so that a 304 carries
// them too.
func (d *compressedDoc) send(c *fiber.Ctx) error {
	enc := acceptedEncoding(c)
	tag := entityTag(d.hash(), enc)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderETag, tag)
	if notModified(c, tag) {
		return sendNotModified(c)
	}
	switch enc {
	case "br":
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(d.br())
	case "gzip":
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(d.gzip())
	}
	return c.Send(d.raw)
}
