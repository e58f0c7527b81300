package schedtest

import "strings"

const FrabHead = `<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <conference>
    <title>Test Congress</title>
    <days>2</days>
    <time_zone_name>Europe/Berlin</time_zone_name>
  </conference>
`

const ScheduleJSONDoc = `{
  "$schema": "https://c3voc.de/schedule/schema.json",
  "schedule": {
    "version": "1",
    "conference": {
      "acronym": "democon",
      "title": "DemoCon",
      "daysCount": 2,
      "time_zone_name": "UTC",
      "days": [
        {
          "index": 1, "date": "2020-12-14",
          "day_start": "2020-12-14T04:00:00+01:00", "day_end": "2020-12-15T03:59:00+01:00",
          "rooms": {
            "Zebra Room": [
              {"id": 25, "guid": "g25", "date": "2020-12-14T09:00:00+01:00", "start": "09:00", "duration": "00:30",
               "room": "Zebra Room", "title": "First", "track": "Phased", "type": "Talk",
               "abstract": "abs", "url": "https://x/25",
               "persons": [{"id": 26, "public_name": "Brian"}, {"name": "Nadia"}, {"id": 1}], "answers": []}
            ],
            "Alpha Room": [
              {"id": "2814", "date": "2020-12-14T10:00:00+01:00", "duration": "01:00", "title": "Second",
               "track": null, "type": "Workshop", "persons": []},
              {"id": 27, "start": "02:00", "duration": "00:30", "title": "Night", "type": "Talk"}
            ]
          }
        },
        {"index": 2, "date": "2020-12-15", "rooms": {}}
      ]
    }
  }
}`
const Schedule2JSONDoc = `{
  "$schema": "https://c3voc.de/schedule/schema2.json",
  "schedule": {
    "version": "1",
    "conference": {
      "acronym": "38c3", "title": "38C3",
      "time_zone_name": "Europe/Berlin",
      "defaults": {"language": "de"},
      "tracks": [{"name": "Art & Beauty", "slug": "art-beauty"}],
      "rooms": [{"name": "Saal 1", "slug": "saal-1", "guid": "r1"}, {"name": "Saal GLITCH", "guid": "r2"}],
      "days": [
        {"index": 1, "date": "2024-12-27", "start": "2024-12-27T09:30:00+00:00", "end": "2024-12-28T06:00:00+01:00"},
        {"index": 2, "date": "2024-12-28", "start": "2024-12-28T06:00:00+01:00", "end": "2024-12-29T06:00:00+01:00"}
      ]
    },
    "events": [
      {"type": "TALK", "guid": "e1", "code": "HQCCYH", "start": "2024-12-27T10:30:00+01:00", "end": "2024-12-27T11:00:00+01:00",
       "room": {"name": "Saal 1", "guid": "r1"}, "title": "Opening", "track": {"slug": "art-beauty"},
       "abstract": {"en": "Hello", "de": "Hallo"},
       "participants": [{"guid": "p1", "name": "Gabriela", "role": "SPEAKER"}, {"guid": "p2", "role": "MODERATOR"},
                        {"guid": "p3", "name": "Senficon", "role": "CONTRIBUTOR"}]},
      {"type": "LIGHTNING_TALK", "guid": "e2", "start": "2024-12-28T00:15:00+01:00", "duration": "PT40M",
       "room": {"guid": "r2"}, "title": "Night", "track": {"slug": "unknown-track"}, "participants": []},
      {"type": "TALK", "guid": "e3", "start": "2024-12-28T12:00:00+01:00", "end": "2024-12-28T13:00:00+01:00",
       "room": {"guid": "r1"}, "title": "Gone", "state": "CANCELED"}
    ],
    "persons": [{"guid": "p2", "name": "Moderator Mo"}]
  }
}`

// ICal joins lines with CRLF, as calendars are written.
func ICal(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}
