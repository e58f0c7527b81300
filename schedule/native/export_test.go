package native

// FormatTime is formatTime, for the writer's tests in package native_test
// (which read back through package load, and load imports native).
var FormatTime = formatTime
