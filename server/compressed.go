package server

import (
	"bytes"
	"compress/gzip"
	"strings"
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
}

func newCompressedDoc(raw []byte) *compressedDoc {
	return &compressedDoc{
		raw: raw,
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

// send writes the document in the best encoding the client accepts (as
// asset.serve chooses).
func (d *compressedDoc) send(c *fiber.Ctx) error {
	accept := c.Get(fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	switch {
	case strings.Contains(accept, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(d.br())
	case strings.Contains(accept, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(d.gzip())
	}
	return c.Send(d.raw)
}
