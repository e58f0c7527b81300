// Package proc reads what the load generator measures of a server process
// from Linux's /proc: its resident memory and CPU time, which process
// listens on a port, and the machine's load average. It knows nothing of
// confdash or of websockets; elsewhere than on Linux every reader fails and
// the bench reports no server figures.
package proc
