// Package bench is confdash's load generator, `confdash bench`: it opens
// many websocket viewers on a server running on this machine, posts
// announcements through the admin API, times every delivery, and reads the
// server's memory and CPU from /proc (package proc). `bench compare`
// alternates runs against confdash and the floor (package floor), the least
// a Go server must do for the same work; `bench cluster` starts several
// instances sharing NATS; `bench http` measures the state API.
//
// It talks to servers only over the network, as any client does, so it
// imports none of the product's packages: what it measures is the product as
// shipped. Whatever it needs from the program that runs it (streams, flag
// conventions, how to start child processes) comes in an Env.
package bench
