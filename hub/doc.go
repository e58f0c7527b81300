// Package hub fans already-encoded websocket messages out to the connections subscribed to a topic.
//
// The server encodes each state once and hands the bytes to Publish (one topic, e.g. one track) or
// PublishAll, which return at once; the hub encodes the websocket frame once too (a server's frames
// are unmasked, so they are the same bytes for every connection), and its fan-out goroutine
// delivers the publishes in order to every subscriber without waiting for any of them. A subscriber
// gets every message published after it subscribed and none before, however far behind the fan-out
// is. A connection that implements FrameWriter (the server's do) is written to directly by the
// fan-out goroutine, one non-blocking system call, whenever its socket takes the whole frame at once,
// which is the common case; only a connection that is behind (a partial write, or messages already
// waiting) gets a writer goroutine, which writes the rest and its bounded queue and then ends. So
// an idle viewer costs no goroutine and a broadcast no goroutine switch per viewer. The writer is
// also what sends a close frame at the end; a ping every PingPeriod is delivered like data by one
// shared ticker, not a timer per client. A subscriber whose queue is full when a message arrives is
// too slow to keep up with the day's updates: it is dropped with close code 1013, and reconnecting
// gives it a fresh state, which is worth more than the backlog it missed. Close shuts every
// subscriber with 1001 so that browsers reconnect to the next server process.
//
// The hub must not know about schedules, JSON, Fiber or any websocket library: it sees messages as
// opaque []byte and connections through the small Conn and FrameWriter interfaces, which the server
// implements over its websocket connection. It never reads from a connection either: the server's
// reader answers the client's pings with Client.Send (or SendPong for websocket pings) and reports
// the end of the connection with Client.Unsubscribe (or Client.Close, e.g. on a pong timeout or a
// policy violation).
//
// Metrics are reported through the optional Observer so that the hub does not depend on Prometheus.
package hub
