package proc

import (
	"net"
	"os"
	"testing"
)

func TestReadAndFindListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := FindListener(ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pid, os.Getpid(); got != want {
		t.Fatalf("listener's pid = %d, want this process, %d", got, want)
	}
	s, err := Read(pid)
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS < 1<<20 || s.CPU < 0 {
		t.Fatalf("sample %+v: want at least 1 MB resident", s)
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := []byte("4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1173 0 0 0 137 42 0 0 20 0 9 0 1234 0 0\n")
	got, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(137 + 42); got != want {
		t.Fatalf("cpu ticks = %d, want %d", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1")); err == nil {
		t.Fatal("a short stat line parsed")
	}
}

func TestListeningInodes(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D3A4 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`
	got := listeningInodes([]byte(table), 8080)
	if len(got) != 1 || got[0] != "111" {
		t.Fatalf("inodes listening on 8080 = %q, want [111] (not the established 222, not 8081's 333)", got)
	}
}
