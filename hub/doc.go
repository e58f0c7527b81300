// Package hub fans already-encoded websocket messages out to the connections subscribed to a topic.
//
// The server encodes each state once and hands the bytes to Publish (one topic, e.g. one track) or
// PublishAll, which return at once; the hub's fan-out goroutine delivers the publishes in order to
// every subscriber without waiting for any of them. A subscriber gets every message published after
// it subscribed and none before, however far behind the fan-out is. A ping every PingPeriod is
// delivered like data by one shared ticker, not a timer per client. A subscriber whose queue is full
// when a message arrives is too slow to keep up with the day's updates: it is dropped with close
// code 1013, and reconnecting gives it a fresh state, which is worth more than the backlog it
// missed. Close shuts every subscriber with 1001 so that browsers reconnect to the next server
// process.
//
// # Why the hub writes whole frames itself
//
// The hub encodes every websocket frame (text, ping, pong, close) and writes it to the Conn as
// bytes. A server's frames are unmasked, so a message's frame is the same bytes for every
// connection: it is encoded once per publish, not once per viewer, and written with one system call
// and no copy. The fan-out goroutine first tries each connection without waiting (TryWriteFrame);
// a socket with room in its send buffer, the common case, takes the whole frame there and then.
// Only a connection that is behind (a partial write, or messages already waiting) gets a writer
// goroutine and a bounded queue, which the writer writes with a deadline (WriteFrame) and then
// drops as it ends. So an idle viewer costs no goroutine (a stack of 4 KiB or more, the largest
// item of an idle viewer's memory otherwise), no queue, and a broadcast no goroutine switch per
// viewer. Being the connection's
// only writer is also what lets the hub keep the one-writer-at-a-time rule of the websocket
// libraries: the server answers a client's ping through Client.SendPong rather than writing itself.
//
// The hub must not know about schedules, JSON, Fiber or any websocket library: it sees messages as
// opaque []byte and connections through the small Conn interface, which the server implements over
// its socket. It never reads from a connection either: the server's reader answers the client's
// pings with Client.Send (or SendPong for websocket pings) and reports the end of the connection
// with Client.Unsubscribe (or Client.Close, e.g. on a pong timeout or a policy violation).
//
// Metrics are reported through the optional Observer so that the hub does not depend on Prometheus.
package hub
