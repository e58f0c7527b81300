package deploy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
)

// The proxy configurations in deploy/ are run for real: the proxy in front
// of a confdash built from this tree, a websocket through it the way a page
// opens one (with the page's Origin), the guide's commands and pages that go
// through the public name. Under CI=true a missing proxy is a failure
// (.ci/run installs nginx and Caddy); elsewhere the test skips.

// needTool returns the path of a tool the tests run (nginx, caddy,
// promtool, chromium). Under CI=true a missing one is a failure: .ci/run
// installs them.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	pkg := name
	if name == "promtool" {
		pkg = "prometheus"
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; .ci/run installs it (apt-get install %s)", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s); CI runs this test", name, pkg)
	return ""
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// upstream runs `confdash serve` on the guide's schedule, as the proxies'
// backend.
func upstream(t *testing.T) *serveProc {
	t.Helper()
	bin := confdashBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "my-conf.yaml"), []byte(myConf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Behind a proxy, as the guide says: its X-Forwarded-* headers are
	// believed (the scheme of a page's origin among them).
	return startServe(t, bin, dir, baseEnv(), []string{"serve", "--schedule", "my-conf.yaml", "--trusted-proxies", "127.0.0.1"})
}

// mustReplace replaces the one occurrence of old in s, so a test notices
// when the file it adapts changes shape.
func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the configuration, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startProxy runs a proxy until the test ends, stopping it with SIGTERM.
func startProxy(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	// One writer for both: exec.Cmd then copies them through one pipe.
	var out testserver.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), out.String())
		}
	})
}

// waitHealthy polls base/healthz until it answers 200: the proxy is up and
// reaches confdash. Polling is the event here; the deadline bounds it.
func waitHealthy(t *testing.T, client *http.Client, base string) {
	t.Helper()
	var resp *http.Response
	var err error
	if !testserver.Eventually(20*time.Second, func() bool {
		if resp, err = client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("%s/healthz did not answer 200 within 20 s: %v %v", base, err, resp)
	}
}

// throughProxy checks what the guide promises of a proxied site at base
// (https://confdash.example.org in the guide): a page's websocket opens and
// gets its state, /metrics is not public, every page of the guide answers
// and every confdash command of the guide through the public name runs.
func throughProxy(t *testing.T, base string, client *http.Client, tlsConf *tls.Config, env []string) {
	t.Helper()
	u, _ := strings.CutPrefix(base, "http")
	dialer := websocket.Dialer{TLSClientConfig: tlsConf, HandshakeTimeout: 10 * time.Second}
	// A browser sends the page's origin; confdash compares it with Host.
	ws, resp, err := dialer.Dial("ws"+u+"/ws?view=screen&track=main", http.Header{"Origin": {base}})
	if err != nil {
		status := "no answer"
		if resp != nil {
			status = resp.Status // 403: Host rewritten; 426: upgrade headers lost
		}
		t.Fatalf("websocket through the proxy: %v (%s)", err, status)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var types []string
	for len(types) < 2 {
		var m struct {
			Type  string          `json:"type"`
			State json.RawMessage `json:"state"`
		}
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("reading through the proxy after %v: %v", types, err)
		}
		types = append(types, m.Type)
	}
	if types[0] != "hello" || types[1] != "state" {
		t.Errorf("through the proxy: %v, want hello then state", types)
	}

	// Every spelling of /metrics is refused by the proxy itself: confdash
	// answers its own 404s in JSON, so a JSON answer means the request got
	// through.
	for _, p := range []string{"/metrics", "/metrics/", "/METRICS", "/Metrics/", "/metrics/x", "/%6detrics", "//metrics"} {
		resp, err = client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s through the proxy: %s (%s), want the proxy's own 404 (metrics are scraped directly, not public)", p, resp.Status, resp.Header.Get("Content-Type"))
		}
	}

	guide := string(readFile(t, "../docs/operations.md"))
	public := "https://" + publicName
	for _, page := range regexp.MustCompile(regexp.QuoteMeta(public)+`(/[^\s`+"`"+`)|]*)?`).FindAllString(guide, -1) {
		resp, err := client.Get(strings.Replace(page, public, base, 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the guide's %s through the proxy: %s", page, resp.Status)
		}
	}

	bin := confdashBinary(t)
	var ran int
	for _, gl := range guideLines(t) {
		if len(gl.args) == 0 || gl.args[0] != "confdash" || !strings.Contains(gl.text, publicName) {
			continue
		}
		runConfdash(t, bin, t.TempDir(), append(env, gl.env...), gl, replaceAll(gl.args[1:], public, base))
		ran++
	}
	if ran == 0 {
		t.Error("the guide has no confdash command through the public name")
	}
}

func TestDeployNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	nginx := needTool(t, "nginx")
	conf := string(readFile(t, "nginx.conf"))

	// Idle timeouts must be above the 25 s websocket keepalive.
	for _, d := range []string{"proxy_read_timeout", "proxy_send_timeout"} {
		m := regexp.MustCompile(`(?m)^\s*` + d + `\s+(\d+)s;`).FindStringSubmatch(conf)
		if m == nil {
			t.Fatalf("nginx.conf: no %s NNs", d)
		}
		if n, _ := strconv.Atoi(m[1]); n <= 25 {
			t.Errorf("nginx.conf: %s %ss, want above the 25 s keepalive", d, m[1])
		}
	}

	up := upstream(t)
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	httpsPort, httpPort := freePort(t), freePort(t)
	// The file as shipped, with only what is this machine's: ports on the
	// loopback interface, the upstream's address, the certificate.
	site := mustReplace(t, conf, "server 127.0.0.1:8080;", "server "+strings.TrimPrefix(up.base, "http://")+";")
	site = mustReplace(t, site, "listen 80;", "listen 127.0.0.1:"+strconv.Itoa(httpPort)+";")
	site = mustReplace(t, site, "listen [::]:80;", "")
	site = mustReplace(t, site, "listen 443 ssl;", "listen 127.0.0.1:"+strconv.Itoa(httpsPort)+" ssl;")
	site = mustReplace(t, site, "listen [::]:443 ssl;", "")
	site = mustReplace(t, site, "/etc/letsencrypt/live/confdash.example.org/fullchain.pem", cert)
	site = mustReplace(t, site, "/etc/letsencrypt/live/confdash.example.org/privkey.pem", key)
	siteFile := filepath.Join(dir, "confdash.conf")
	if err := os.WriteFile(siteFile, []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	// The main configuration nginx.conf is included from, as conf.d/ is in
	// a distribution's /etc/nginx/nginx.conf; temporary files in dir.
	var main strings.Builder
	main.WriteString("daemon off;\nworker_processes 1;\npid " + filepath.Join(dir, "nginx.pid") + ";\nerror_log stderr;\n")
	main.WriteString("events { worker_connections 64; }\nhttp {\n  access_log off;\n")
	for _, p := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		main.WriteString("  " + p + "_temp_path " + filepath.Join(dir, p) + ";\n")
	}
	main.WriteString("  include " + siteFile + ";\n}\n")
	mainFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainFile, []byte(main.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// nginx -t, as the guide says to run before a reload.
	out, err := exec.Command(nginx, "-t", "-e", "stderr", "-p", dir, "-c", mainFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}

	startProxy(t, exec.Command(nginx, "-e", "stderr", "-p", dir, "-c", mainFile))
	tlsConf := &tls.Config{RootCAs: pool}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: tlsConf},
		// The redirect is checked as such, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	base := "https://127.0.0.1:" + strconv.Itoa(httpsPort)
	waitHealthy(t, client, base)

	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(httpPort) + "/screen/main")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Errorf("plain HTTP: %s to %q, want a 301 to https://", resp.Status, resp.Header.Get("Location"))
	}

	// The confdash commands trust the test's certificate the way Go
	// programs on Linux take extra roots: SSL_CERT_FILE.
	throughProxy(t, base, client, tlsConf, append(baseEnv(), "SSL_CERT_FILE="+cert))
}

func TestDeployCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	caddy := needTool(t, "caddy")
	up := upstream(t)
	dir := t.TempDir()
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	// Caddy keeps certificates and its own state under these.
	env := append(baseEnv(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))

	// The Caddyfile as shipped is valid for a public name.
	validate := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", "Caddyfile")
	validate.Env = env
	if out, err := validate.CombinedOutput(); err != nil {
		t.Fatalf("caddy validate: %v\n%s", err, out)
	}

	// Caddy itself adapts it, for a plain-HTTP site on a free port (TLS for
	// a public name cannot be had here) in front of the test's upstream.
	adapt := exec.Command(caddy, "adapt", "--adapter", "caddyfile", "--config", "Caddyfile")
	adapt.Env = append(env, "CONFDASH_SITE="+base, "CONFDASH_UPSTREAM="+strings.TrimPrefix(up.base, "http://"))
	adapted, err := adapt.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(adapted, &cfg); err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, adapted)
	}
	// Only what is this test's: no admin endpoint (a fixed port), and the
	// loopback interface only.
	cfg["admin"] = map[string]any{"disabled": true}
	servers, _ := cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)
	if len(servers) != 1 {
		t.Fatalf("adapted Caddyfile has %d servers, want 1:\n%s", len(servers), adapted)
	}
	for _, s := range servers {
		s.(map[string]any)["listen"] = []string{"127.0.0.1:" + strconv.Itoa(port)}
	}
	data, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "caddy.json")
	if err := os.WriteFile(cfgFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(caddy, "run", "--config", cfgFile)
	run.Env = env
	startProxy(t, run)
	client := &http.Client{Timeout: 10 * time.Second}
	waitHealthy(t, client, base)
	throughProxy(t, base, client, nil, baseEnv())
}
