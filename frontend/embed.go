package frontend

import "embed"

// FS holds the pages and their assets. The server serves pages/*.html with
// "{{ASSETS}}" replaced by the content-hashed asset prefix, and assets/* under
// that prefix; see doc.go.
//
//go:embed pages assets
var FS embed.FS
