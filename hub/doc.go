// Package hub fans already-encoded websocket messages out to the connections subscribed to a topic.
//
// The server encodes each state once and hands the bytes to Publish (one topic, e.g. one track) or
// PublishAll; the hub puts the same slice on the bounded queue of every subscriber and returns without
// waiting for any of them. Each subscriber has one writer goroutine, the only code that writes to its
// connection: it writes queued text frames, a ping every PingPeriod (signalled by one shared ticker, not
// a timer per client) and finally a close frame. A subscriber whose queue is full when a message arrives
// is too slow to keep up with the day's updates: it is dropped with close code 1013, and reconnecting
// gives it a fresh state, which is worth more than the backlog it missed. Close shuts every subscriber
// with 1001 so that browsers reconnect to the next server process.
//
// The hub must not know about schedules, JSON, Fiber or any websocket library: it sees messages as
// opaque []byte and connections through the small Conn interface, which the server implements over
// its websocket connection. It never reads from a connection either: the server's handler goroutine is
// the reader, answers the client's pings with Client.Send and reports the end of the connection with
// Client.Unsubscribe (or Client.Close, e.g. on a pong timeout or a policy violation).
//
// Metrics are reported through the optional Observer so that the hub does not depend on Prometheus.
package hub
