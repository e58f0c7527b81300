package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sourceFiles parses the non-test Go files matching pattern.
func sourceFiles(t *testing.T, pattern string, mode parser.Mode) map[string]*ast.File {
	t.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	if len(files) == 0 {
		t.Fatalf("no Go files match %s", pattern)
	}
	return files
}

// TestClusterPackageBoundary: the cluster code knows the schedule and NATS,
// never HTTP or the server, which reach it through its Host interface.
func TestClusterPackageBoundary(t *testing.T) {
	for name, f := range sourceFiles(t, filepath.Join("cluster", "*.go"), parser.ImportsOnly) {
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/gofiber/") || path == "github.com/confdash/confdash/server" {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// TestLiveLockStaysInLiveGo: the live day's mutex is taken by live's own
// methods only (live.go), so no other file can publish, subscribe or change
// the adjustments out of order.
func TestLiveLockStaysInLiveGo(t *testing.T) {
	for name, f := range sourceFiles(t, "*.go", 0) {
		if name == "live.go" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.SelectorExpr); ok && x.Sel.Name == "live" && n.Sel.Name == "mu" {
					t.Errorf("%s: takes the live state's mutex", name)
				}
			case *ast.FuncDecl:
				if n.Recv != nil && len(n.Recv.List) == 1 {
					typ := n.Recv.List[0].Type
					if star, ok := typ.(*ast.StarExpr); ok {
						typ = star.X
					}
					if id, ok := typ.(*ast.Ident); ok && id.Name == "live" {
						t.Errorf("%s: method %s of live outside live.go", name, n.Name.Name)
					}
				}
			}
			return true
		})
	}
}
