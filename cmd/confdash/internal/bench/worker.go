package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// One process may hold at most 20,000 open files here, so a run of more
// viewers spreads them over child processes of the same binary
// (`confdash bench worker`, not for people). The coordinator talks to each
// child over its stdin and stdout, one JSON object a line:
//
//	parent: {"cmd":"connect","n":N}                         open the next N viewers
//	child:  {"type":"progress","connected":N,"failed":M}   while connecting
//	child:  {"type":"ready","stats":{...}}                   all N subscribed or failed
//	parent: {"cmd":"wait","k":K,"timeout_ms":T}
//	child:  {"type":"delivered","got":N,"alive":M}
//	parent: {"cmd":"results"}
//	child:  {"type":"results","results":{...}}
//	parent: {"cmd":"close"} (or closes stdin)               the child closes its viewers and exits
type workerCommand struct {
	Cmd       string `json:"cmd"`
	N         int    `json:"n,omitempty"`
	K         int    `json:"k,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
}

type workerEvent struct {
	Type      string        `json:"type"`
	Connected int           `json:"connected,omitempty"`
	Failed    int           `json:"failed,omitempty"`
	Stats     *connectStats `json:"stats,omitempty"`
	Got       int           `json:"got,omitempty"`
	Alive     int           `json:"alive,omitempty"`
	Results   *groupResults `json:"results,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// maxViewersPerProcess leaves room under the 20,000 open files a process may
// hold for the runtime's own files and the coordinator's HTTP connections.
const maxViewersPerProcess = 19000

// benchWorker is the child side: `confdash bench worker --config JSON`.
func benchWorker(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "--config" {
		return errors.New("bench worker is started by confdash bench, not by hand")
	}
	var cfg poolConfig
	if err := json.Unmarshal([]byte(args[1]), &cfg); err != nil {
		return fmt.Errorf("bench worker: %w", err)
	}
	if cfg.N <= 0 || cfg.N > maxViewersPerProcess || cfg.Broadcasts < 0 || cfg.Broadcasts > maxBroadcasts {
		return fmt.Errorf("bench worker: %d viewers, %d broadcasts: out of bounds", cfg.N, cfg.Broadcasts)
	}
	// A worker whose coordinator vanished must not linger: stdin's end stops it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var outMu sync.Mutex
	enc := json.NewEncoder(stdout)
	emit := func(ev workerEvent) {
		outMu.Lock()
		defer outMu.Unlock()
		enc.Encode(ev)
	}
	cmds := make(chan workerCommand)
	go func() {
		defer close(cmds)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			var c workerCommand
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				cmds <- c
			}
		}
		cancel()
	}()

	p := newViewerPool(cfg)
	defer p.close()
	for c := range cmds {
		switch c.Cmd {
		case "connect":
			st, err := p.connect(ctx, c.N, func(c, f int) { emit(workerEvent{Type: "progress", Connected: c, Failed: f}) })
			if err != nil {
				return err
			}
			emit(workerEvent{Type: "ready", Stats: &st})
		case "wait":
			if c.K < 0 || c.K >= cfg.Broadcasts {
				emit(workerEvent{Type: "error", Error: "no broadcast " + strconv.Itoa(c.K)})
				continue
			}
			got, alive, err := p.waitDelivered(ctx, c.K, time.Duration(c.TimeoutMS)*time.Millisecond)
			if err != nil {
				return err
			}
			emit(workerEvent{Type: "delivered", Got: got, Alive: alive})
		case "results":
			res, _ := p.results(ctx)
			emit(workerEvent{Type: "results", Results: &res})
		case "close":
			return nil
		}
	}
	return nil
}

// workerProc is the coordinator's side of one child.
type workerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan workerEvent
	waited chan error // the child's exit status, once
	exit   error
	once   sync.Once
}

func (e *Env) startWorker(ctx context.Context, cfg poolConfig, stderr io.Writer) (*workerProc, error) {
	config, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmd, err := e.WorkerCommand(ctx, string(config))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a bench worker: %w", err)
	}
	w := &workerProc{cmd: cmd, stdin: stdin, events: make(chan workerEvent, 16), waited: make(chan error, 1)}
	go func() {
		defer close(w.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20) // results: up to 19,000 × broadcasts receipt times
		for sc.Scan() {
			var ev workerEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				continue
			}
			w.events <- ev
		}
		w.waited <- cmd.Wait()
	}()
	return w, nil
}

// next returns the child's next event other than progress, passing progress
// events to progress.
func (w *workerProc) next(ctx context.Context, progress func(connected, failed int)) (workerEvent, error) {
	for {
		select {
		case ev, ok := <-w.events:
			if !ok {
				return ev, fmt.Errorf("a bench worker stopped: %v", w.wait())
			}
			if ev.Type == "progress" {
				if progress != nil {
					progress(ev.Connected, ev.Failed)
				}
				continue
			}
			if ev.Type == "error" {
				return ev, errors.New("bench worker: " + ev.Error)
			}
			return ev, nil
		case <-ctx.Done():
			return workerEvent{}, ctx.Err()
		}
	}
}

func (w *workerProc) send(c workerCommand) error {
	b, _ := json.Marshal(c)
	_, err := w.stdin.Write(append(b, '\n'))
	return err
}

func (w *workerProc) connect(ctx context.Context, n int, progress func(connected, failed int)) (connectStats, error) {
	if err := w.send(workerCommand{Cmd: "connect", N: n}); err != nil {
		return connectStats{}, err
	}
	ev, err := w.next(ctx, progress)
	if err != nil {
		return connectStats{}, err
	}
	if ev.Type != "ready" || ev.Stats == nil {
		return connectStats{}, fmt.Errorf("bench worker: expected ready, got %q", ev.Type)
	}
	if progress != nil {
		progress(ev.Stats.Connected, ev.Stats.Failed)
	}
	return *ev.Stats, nil
}

func (w *workerProc) waitDelivered(ctx context.Context, k int, timeout time.Duration) (int, int, error) {
	if err := w.send(workerCommand{Cmd: "wait", K: k, TimeoutMS: timeout.Milliseconds()}); err != nil {
		return 0, 0, err
	}
	ev, err := w.next(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	return ev.Got, ev.Alive, nil
}

func (w *workerProc) results(ctx context.Context) (groupResults, error) {
	if err := w.send(workerCommand{Cmd: "results"}); err != nil {
		return groupResults{}, err
	}
	ev, err := w.next(ctx, nil)
	if err != nil {
		return groupResults{}, err
	}
	if ev.Results == nil {
		return groupResults{}, fmt.Errorf("bench worker: expected results, got %q", ev.Type)
	}
	return *ev.Results, nil
}

func (w *workerProc) close() error {
	w.send(workerCommand{Cmd: "close"})
	w.stdin.Close()
	for range w.events { // drain, so the reader reaches Wait
	}
	return w.wait()
}

func (w *workerProc) wait() error {
	w.once.Do(func() {
		select {
		case w.exit = <-w.waited:
		case <-time.After(10 * time.Second):
			w.cmd.Process.Kill()
			w.exit = <-w.waited
		}
	})
	return w.exit
}
