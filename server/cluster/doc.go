// Package cluster shares one conference day's live state between several
// confdash instances through NATS JetStream key-value buckets: the
// organizers' adjustments (written by compare-and-set on a revision), the
// running schedule's source bytes, and each instance's viewer counts.
//
// It knows the schedule's types and NATS, and nothing of HTTP, Fiber or the
// server: what it needs of the instance it links (the clock, the running
// schedule, how to show new adjustments or load a schedule) comes through
// the Host interface, and the server asks it to apply a schedule.Edit.
package cluster
