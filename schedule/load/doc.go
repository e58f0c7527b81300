// Package load reads a schedule source in any format confdash knows: it
// bounds what it reads, decodes UTF-16, detects the format by content (never
// by file name), calls that format's parser, and holds every result to the
// domain's Validate, so that whatever loads can be served. It is the one
// entry point for callers; the format packages (native, frab, schedulejson,
// ical) are its parts.
package load
