package bench

import "syscall"

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT from linux/in.h (not in the
// syscall package).
const ipBindAddressNoPort = 24

// bindNoPort lets a viewer bound to a source address (127.0.0.2, ...) pick
// its port at connect time rather than at bind time: the kernel then only
// needs the whole 4-tuple to be free, so ports left in TIME_WAIT by a
// previous run towards another server port stay usable.
func bindNoPort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
