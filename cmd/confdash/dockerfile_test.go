package main

import (
	"bufio"
	"bytes"
	"go/build"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// No container engine runs where the tests run, so the image is kept honest
// by reading its Dockerfile with BuildKit's own parser (the one `docker
// build` uses) and checking what the README and the operator guide promise:
// a static binary from a second stage on distroless nonroot, the health
// check through `confdash healthcheck`, the port, the state volume, the OCI
// labels, and the very build command that CI runs and health-checks.

// dockerInstruction is one Dockerfile instruction as BuildKit parsed it.
type dockerInstruction struct {
	cmd   string   // lower case: "from", "run", ...
	flags []string // "--from=build", "--interval=15s"
	args  []string // the arguments, one per node
	json  bool     // exec (JSON array) form
	line  int
}

// dockerStage is a FROM and the instructions after it.
type dockerStage struct {
	image, name string
	insts       []dockerInstruction
}

func (s dockerStage) all(cmd string) []dockerInstruction {
	var out []dockerInstruction
	for _, in := range s.insts {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// one returns the stage's only cmd instruction, failing when there are none
// or several (a second USER or HEALTHCHECK silently wins in Docker).
func (s dockerStage) one(t *testing.T, cmd string) dockerInstruction {
	t.Helper()
	ins := s.all(cmd)
	if len(ins) != 1 {
		t.Fatalf("stage %q: %d %s instructions, want exactly 1", s.name, len(ins), strings.ToUpper(cmd))
	}
	return ins[0]
}

func parseDockerfile(t *testing.T, file string) []dockerStage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("%s: BuildKit warns: %s", file, w.Short)
	}
	var stages []dockerStage
	for _, n := range res.AST.Children {
		in := dockerInstruction{cmd: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "from" {
			s := dockerStage{image: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "as") {
				s.name = in.args[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "arg" {
				continue
			}
			t.Fatalf("%s:%d: %s before the first FROM", file, in.line, in.cmd)
		}
		stages[len(stages)-1].insts = append(stages[len(stages)-1].insts, in)
	}
	return stages
}

// keyValues reads LABEL and ENV nodes, which BuildKit chains as
// key, value, "=" triples with the value still quoted as written.
func keyValues(t *testing.T, ins []dockerInstruction) map[string]string {
	t.Helper()
	kv := map[string]string{}
	for _, in := range ins {
		for i := 0; i+1 < len(in.args); i += 3 {
			v := in.args[i+1]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			kv[in.args[i]] = v
		}
	}
	return kv
}

// goBuildCommand is a `go build` command line in words, with the output path
// taken out so that the Dockerfile's and CI's can be compared.
type goBuildCommand struct {
	words  []string // environment assignments, then go build and its arguments
	output string   // the -o argument
}

// shellEnv gives the shell lexer the variables a command line refers to.
type shellEnv map[string]string

func (m shellEnv) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m shellEnv) Keys() []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func splitBuildCommand(t *testing.T, line string, env shellEnv) goBuildCommand {
	t.Helper()
	words, err := shell.NewLex('\\').ProcessWords(line, env)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	var bc goBuildCommand
	for i := 0; i < len(words); i++ {
		if words[i] == "-o" && i+1 < len(words) {
			bc.output = words[i+1]
			bc.words = append(bc.words, "-o", "OUTPUT")
			i++
			continue
		}
		bc.words = append(bc.words, words[i])
	}
	if bc.output == "" {
		t.Fatalf("%q: no -o OUTPUT", line)
	}
	return bc
}

var goBuildLine = regexp.MustCompile(`(^|\s)go build\s`)

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "../../Dockerfile")
	if got, want := len(stages), 2; got != want {
		t.Fatalf("Dockerfile has %d stages, want %d (build, then the runtime image)", got, want)
	}
	buildStage, final := stages[0], stages[1]

	t.Run("build stage", func(t *testing.T) {
		if buildStage.name == "" {
			t.Fatalf("the first stage is not named (FROM %s AS build)", buildStage.image)
		}
		// The builder's Go must be the one go.mod asks for: a newer go
		// directive would make `go build` in the image fetch a toolchain or fail.
		img := regexp.MustCompile(`^golang:(\d+\.\d+)(\.\d+)?(-.+)?$`).FindStringSubmatch(buildStage.image)
		if img == nil {
			t.Fatalf("build stage FROM %s: want an official golang:X.Y image", buildStage.image)
		}
		if got, want := img[1], goModMinor(t); got != want {
			t.Errorf("build stage FROM %s: Go %s, go.mod asks for %s", buildStage.image, got, want)
		}
	})

	var runs []dockerInstruction
	for _, r := range buildStage.all("run") {
		if goBuildLine.MatchString(r.args[0]) {
			runs = append(runs, r)
		}
	}
	if len(runs) != 1 {
		t.Fatalf("build stage: %d RUN lines with go build, want 1", len(runs))
	}
	dockerBuild := splitBuildCommand(t, runs[0].args[0], nil)

	t.Run("static build", func(t *testing.T) {
		if !slices.Contains(dockerBuild.words, "CGO_ENABLED=0") {
			t.Errorf("RUN %s: no CGO_ENABLED=0; distroless static has no libc", runs[0].args[0])
		}
		if got, want := dockerBuild.words[len(dockerBuild.words)-1], "./cmd/confdash"; got != want {
			t.Errorf("RUN go build builds %s, want %s", got, want)
		}
	})

	t.Run("same build command as CI", func(t *testing.T) {
		ciBuild := splitBuildCommand(t, ciBuildLine(t), shellEnv{"bin": "CI-OUTPUT"})
		if diff := cmp.Diff(dockerBuild.words, ciBuild.words); diff != "" {
			t.Errorf("the Dockerfile's go build differs from .ci/run's (-Dockerfile +CI):\n%s", diff)
		}
	})

	t.Run("time zones embedded", func(t *testing.T) {
		// distroless/static has no /usr/share/zoneinfo: schedules name
		// IANA zones, so the binary must carry its own.
		pkg, err := build.ImportDir(".", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(pkg.Imports, "time/tzdata") {
			t.Errorf("cmd/confdash does not import time/tzdata")
		}
	})

	t.Run("final stage", func(t *testing.T) {
		if !regexp.MustCompile(`^gcr\.io/distroless/static(-debian\d+)?:nonroot$`).MatchString(final.image) {
			t.Errorf("final stage FROM %s: want gcr.io/distroless/static-debianN:nonroot", final.image)
		}
		if u := final.one(t, "user").args[0]; u != "nonroot" && u != "nonroot:nonroot" {
			t.Errorf("USER %s, want nonroot", u)
		}
		// The binary in the image is the one the build stage wrote.
		cp := final.one(t, "copy")
		if got, want := cp.flags, []string{"--from=" + buildStage.name}; !slices.Equal(got, want) {
			t.Errorf("COPY flags %v, want %v", got, want)
		}
		if len(cp.args) != 2 || cp.args[0] != dockerBuild.output {
			t.Fatalf("COPY %v: want COPY --from=%s %s DEST", cp.args, buildStage.name, dockerBuild.output)
		}
		bin := cp.args[1]
		if strings.HasSuffix(bin, "/") {
			bin = path.Join(bin, path.Base(dockerBuild.output))
		}

		ep := final.one(t, "entrypoint")
		if !ep.json || !slices.Equal(ep.args, []string{bin}) {
			t.Errorf("ENTRYPOINT %v (exec form %v), want [%q]: distroless has no shell", ep.args, ep.json, bin)
		}

		hc := final.one(t, "healthcheck")
		if len(hc.args) == 0 || hc.args[0] != "CMD" {
			t.Fatalf("HEALTHCHECK %v: want HEALTHCHECK CMD [...]", hc.args)
		}
		if got, want := hc.args[1:], []string{bin, "healthcheck"}; !hc.json || !slices.Equal(got, want) {
			t.Errorf("HEALTHCHECK CMD %v (exec form %v), want %q in exec form", got, hc.json, want)
		}
		for _, f := range []string{"--interval=", "--timeout="} {
			if !slices.ContainsFunc(hc.flags, func(s string) bool { return strings.HasPrefix(s, f) }) {
				t.Errorf("HEALTHCHECK flags %v: no %s", hc.flags, f)
			}
		}

		expose := final.one(t, "expose")
		if !slices.Equal(expose.args, []string{"8080"}) {
			t.Errorf("EXPOSE %v, want 8080", expose.args)
		}
		env := keyValues(t, final.all("env"))
		// serve and healthcheck both read CONFDASH_ADDR: the health check
		// finds the server wherever the image makes it listen.
		if got, want := env["CONFDASH_ADDR"], ":8080"; got != want {
			t.Errorf("ENV CONFDASH_ADDR=%q, want %q (the EXPOSEd port)", got, want)
		}

		vol := final.one(t, "volume")
		if len(vol.args) != 1 {
			t.Fatalf("VOLUME %v: want one volume for the state", vol.args)
		}
		if st := env["CONFDASH_STATE"]; path.Dir(st) != vol.args[0] {
			t.Errorf("ENV CONFDASH_STATE=%q is not in the VOLUME %s: announcements and delays would not survive a new container", st, vol.args[0])
		}
		// BuildKit creates a WORKDIR as the USER in force, and a new
		// volume takes the directory's owner: USER first, or nonroot
		// cannot write its state.
		user, wd := final.one(t, "user"), final.one(t, "workdir")
		if wd.args[0] != vol.args[0] || user.line > wd.line {
			t.Errorf("USER (line %d) must come before WORKDIR %s (line %d), the VOLUME %s", user.line, wd.args[0], wd.line, vol.args[0])
		}

		labels := keyValues(t, final.all("label"))
		for _, k := range []string{"title", "description", "source", "licenses"} {
			if labels["org.opencontainers.image."+k] == "" {
				t.Errorf("no LABEL org.opencontainers.image.%s", k)
			}
		}
	})
}

// ciBuildLine is the one `go build` line .ci/run runs, and .ci/run must also
// health-check what it built.
func ciBuildLine(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "#") && goBuildLine.MatchString(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf(".ci/run: %d go build lines, want 1: %q", len(lines), lines)
	}
	if !regexp.MustCompile(`"\$bin" healthcheck `).Match(data) {
		t.Errorf(".ci/run does not run the binary it built with healthcheck")
	}
	return lines[0]
}

// goModMinor is go.mod's go directive as X.Y.
func goModMinor(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}
