package schedule

import "errors"

// Placeholders until the importers land; each is replaced by its own file.

func detectJSON(data []byte) string { return "native" }

func parseFrabXML(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	return nil, nil, errors.New(name + ": frab XML is not supported yet")
}

func parseScheduleJSON(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	return nil, nil, errors.New(name + ": schedule.json is not supported yet")
}

func parseSchedule2JSON(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	return nil, nil, errors.New(name + ": schedule2 JSON is not supported yet")
}

func parseICal(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	return nil, nil, errors.New(name + ": iCalendar is not supported yet")
}
