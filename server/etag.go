package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Revalidation of the large documents every page loads (the schedule
// document, the iCalendar feeds, the pages and assets): a reconnect storm
// after a network blip must cost a 304 per page, not the whole schedule
// (hundreds of KB compressed for a large conference) per page.
//
// A strong entity tag names one representation (RFC 9110 8.8.3): the same
// bytes sent gzip-compressed are another representation than sent as they
// are, so the encoding is part of the tag. The hash is of the uncompressed
// bytes: answering a 304 never needs the compressed ones, and the compressed
// bytes are a function of them and the encoding.

// contentHash is the part of an entity tag that names the bytes: a prefix
// of their SHA-256 (64 bits are plenty to tell versions of one document
// apart).
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// entityTag is the quoted, strong tag of the bytes named by hash sent with
// Content-Encoding enc ("" for none).
func entityTag(hash, enc string) string {
	if enc == "" {
		return `"` + hash + `"`
	}
	return `"` + hash + "-" + enc + `"`
}

// acceptedEncoding is the best Content-Encoding the client accepts of the
// two every stored document has: brotli, then gzip, else none.
func acceptedEncoding(c *fiber.Ctx) string {
	accept := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case strings.Contains(accept, "br"):
		return "br"
	case strings.Contains(accept, "gzip"):
		return "gzip"
	}
	return ""
}

// notModified reports whether the request's If-None-Match names tag, so
// that the answer is a 304 without a body. The caller has set every header
// the 200 would carry (ETag, Cache-Control, Vary, Content-Type, the CSP of
// a page): a cache keeps the body it has and takes the headers of the 304.
func notModified(c *fiber.Ctx, tag string) bool {
	// Several If-None-Match fields are one list (RFC 9110 5.3).
	for _, field := range c.Request().Header.PeekAll(fiber.HeaderIfNoneMatch) {
		if noneMatchNames(field, tag) {
			return true
		}
	}
	return false
}

// noneMatchNames reports whether an If-None-Match field value names tag:
// "*" names any current representation, and the comparison is weak
// (RFC 9110 13.1.2): W/"x" names "x". A malformed field names nothing, so
// the client gets the whole document rather than a 304 it did not ask for.
func noneMatchNames(field []byte, tag string) bool {
	s := field
	for {
		s = bytes.TrimLeft(s, " \t,")
		if len(s) == 0 {
			return false
		}
		if s[0] == '*' {
			return true
		}
		s = bytes.TrimPrefix(s, []byte("W/"))
		if len(s) == 0 || s[0] != '"' {
			return false
		}
		end := bytes.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if string(s[:end+2]) == tag {
			return true
		}
		s = s[end+2:]
	}
}

// sendNotModified answers a revalidation: the headers already set, no body.
func sendNotModified(c *fiber.Ctx) error {
	c.Status(fiber.StatusNotModified)
	c.Response().ResetBody()
	return nil
}
