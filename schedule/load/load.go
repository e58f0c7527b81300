package load

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"unicode/utf16"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/frab"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/confdash/confdash/schedule/native"
	"github.com/confdash/confdash/schedule/schedulejson"
)

// MaxSourceBytes bounds what Parse reads: a real schedule is a few MB at
// most (the largest public frab file, FOSDEM's, is under 2 MB).
const MaxSourceBytes = 64 << 20

// ParseFile reads and parses a schedule file. A file larger than
// MaxSourceBytes is refused without reading it into memory.
func ParseFile(path string, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open schedule: %w", err)
	}
	defer f.Close()
	data, err := ReadLimited(f, path)
	if err != nil {
		return nil, nil, err
	}
	return Parse(path, data, opts)
}

// ReadLimited reads r whole unless it holds more than MaxSourceBytes.
func ReadLimited(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSourceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	if len(data) > MaxSourceBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB: this is not a schedule confdash can read; split it or remove attachments", name, MaxSourceBytes>>20)
	}
	return data, nil
}

// Parse detects the format of data by its content (never by file name) and
// parses it. name is used in diagnostics. It returns the schedule and the
// warnings (odd but importable things), or an error: schedule.Errors for a source with
// located problems.
func Parse(name string, data []byte, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	var (
		s     *schedule.Schedule
		warns []schedule.Diagnostic
	)
	// The version hashes the bytes as given, before any decoding.
	sum := sha256.Sum256(data)
	text, err := toUTF8(name, data)
	if err != nil {
		return nil, nil, err
	}
	switch Detect(text) {
	case schedule.FormatFrabXML:
		s, warns, err = frab.Parse(name, text, opts)
	case schedule.FormatScheduleJSON:
		s, warns, err = schedulejson.Parse(name, text, opts)
	case schedule.FormatSchedule2JSON:
		s, warns, err = schedulejson.Parse2(name, text, opts)
	case schedule.FormatICal:
		s, warns, err = ical.Parse(name, text, opts)
	default:
		s, warns, err = native.Parse(name, text)
	}
	if err == nil {
		// Every format ends here: what is returned can be encoded and
		// served, whatever the parser let through.
		err = s.Validate(name)
	}
	if err != nil {
		return nil, warns, err
	}
	s.Version = hex.EncodeToString(sum[:6])
	s.Index()
	return s, warns, nil
}

// toUTF8 returns data as UTF-8: a file saved as UTF-16 (with its byte order
// mark, as Windows editors write it) is decoded; UTF-32, or NUL bytes that
// betray another encoding, are refused with what to do.
func toUTF8(name string, data []byte) ([]byte, error) {
	refuse := func(what string) error {
		return schedule.Errors{{File: name, Line: 1, Message: what + ": save the file as UTF-8 and try again"}}
	}
	switch {
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return nil, refuse("the file is UTF-32")
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(name, data[2:], binary.BigEndian)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(name, data[2:], binary.LittleEndian)
	}
	// No text format confdash reads has a NUL in its first bytes; UTF-16
	// without a byte order mark has one in every ASCII character.
	if bytes.IndexByte(data[:min(len(data), 512)], 0) >= 0 {
		return nil, refuse("the file holds NUL bytes: it is not UTF-8 text (UTF-16 without a byte order mark, or not a schedule)")
	}
	return data, nil
}

// decodeUTF16 decodes UTF-16 text after its byte order mark. Unpaired
// surrogates become U+FFFD, as invalid UTF-8 does in the parsers.
func decodeUTF16(name string, data []byte, order binary.ByteOrder) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, schedule.Errors{{File: name, Message: "the file starts as UTF-16 but has an odd number of bytes: it is cut off; save it again as UTF-8"}}
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	return []byte(string(utf16.Decode(units))), nil
}

// Detect names the format of a source from its first bytes and structure.
func Detect(data []byte) schedule.Format {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	switch {
	case bytes.HasPrefix(trimmed, []byte("<")):
		return schedule.FormatFrabXML
	case len(trimmed) >= 15 && bytes.EqualFold(trimmed[:15], []byte("BEGIN:VCALENDAR")): // names are case-insensitive (RFC 5545 3.1)
		return schedule.FormatICal
	case bytes.HasPrefix(trimmed, []byte("{")):
		return schedulejson.Detect(trimmed)
	}
	return schedule.FormatNative
}
