// Package floor is the reference broadcaster the load generator measures
// confdash against: the least a Go server must do for the same work (see
// Floor). It imports nothing of confdash: it speaks the wire protocol from
// its documentation, so that the comparison is with what the job costs, not
// with another copy of confdash's code.
package floor
