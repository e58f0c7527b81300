package schedule

// MaxReported is maxReported, for the tests in package schedule_test (which
// load real sources, through package load, which imports schedule).
const MaxReported = maxReported
