package build

import (
	"regexp"
	"strings"
)

// translit spells common accented Latin letters in ASCII for slugs.
var translit = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'å': "a",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ą': "a", 'ç': "c", 'č': "c", 'ć': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e", 'ě': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ř': "r", 'š': "s", 'ś': "s", 'ş': "s", 'ù': "u", 'ú': "u", 'û': "u", 'ů': "u",
	'ý': "y", 'ÿ': "y", 'ž': "z", 'ź': "z", 'ż': "z", 'đ': "d", 'ð': "d", 'þ': "th",
}

// MaxTrackID bounds a track id: ids end up in URLs and metric labels.
const MaxTrackID = 64

// SlugMax bounds what Slug makes, leaving room under MaxTrackID for the
// "-2", "-3"... that IDs.Unique appends to a repeated one.
const SlugMax = MaxTrackID - 16

// slugRE is the shape of a track id: what Slug makes, and what the native
// format accepts from an organizer.
var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// IsSlug reports whether id can be a track id as written: lowercase ASCII
// letters and digits in words joined by single dashes, at most MaxTrackID
// bytes.
func IsSlug(id string) bool {
	return len(id) <= MaxTrackID && slugRE.MatchString(id)
}

// Slug makes a track id from a room name (or suggests one for an id that is
// not a slug): lowercase ASCII letters and digits separated by single dashes
// ("Saal 1" -> "saal-1", "Größe" -> "groesse"), at most SlugMax bytes, cut at
// a word boundary when one is near; "room" when nothing of the name is left.
// It is the one slug rule of every format: the track ids of imported
// schedules depend on it, so changing it renames their tracks.
func Slug(name string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		var part string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			part = string(r)
		case translit[r] != "":
			part = translit[r]
		default:
			dash = sb.Len() > 0
			continue
		}
		if dash {
			sb.WriteByte('-')
			dash = false
		}
		sb.WriteString(part)
	}
	slug := sb.String()
	if len(slug) > SlugMax {
		cut := slug[:SlugMax]
		// Cut at a word boundary when one is not too far back.
		if slug[SlugMax] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > SlugMax/2 {
				cut = cut[:i]
			}
		}
		slug = strings.TrimRight(cut, "-")
	}
	if slug == "" {
		return "room"
	}
	return slug
}
