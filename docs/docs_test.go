// Package docs_test checks that what the repository's text cites can be opened by its
// reader: no references to documents that are not in the repository, every
// cited docs/wire.md anchor exists, and every relative link in the Markdown resolves.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// root is the repository root, relative to this package's directory.
const root = ".."

// section is the section sign, spelled as an escape so this file does not trip its own check.
const section = "\u00a7"

// unreachable are references to documents a reader of the repository cannot open: a
// protocol notes file and numbered seed documents kept outside it, and issue numbers of a
// tracker that is not the repository's.
var unreachable = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`(?i)protocol\.md`), "protocol notes outside the repository"},
	{regexp.MustCompile(`(?i)\bseed[ -]0\d\d|\bseed-\d`), "seed document outside the repository"},
	{regexp.MustCompile(`(?i)\bissue #?\d+`), "issue number"},
}

// openable is a document a reader can open that a section sign may follow on its line:
// an RFC, a web page, or a file under docs/.
var openable = regexp.MustCompile(`(?i)\bRFC ?\d+|https?://|\bdocs/[\w./-]+`)

// Ensure no tracked text file cites a document the reader cannot open.
func TestReferencesResolve(t *testing.T) {
	var hits []string
	for _, f := range textFiles(t) {
		eachLine(t, f, func(n int, line string) {
			for _, u := range unreachable {
				if u.re.MatchString(line) {
					hits = append(hits, fmt.Sprintf("%s:%d: %s: %q", f, n, u.what, u.re.FindString(line)))
				}
			}
			if i := strings.Index(line, section); i >= 0 && !openable.MatchString(line[:i]) {
				hits = append(hits, fmt.Sprintf("%s:%d: section sign without an openable document before it", f, n))
			}
		})
	}
	report(t, hits)
}

// wireCite is a citation of an anchor of docs/wire.md.
var wireCite = regexp.MustCompile(`docs/wire\.md#([A-Za-z0-9_-]+)`)

// Ensure every docs/wire.md anchor cited anywhere is an anchor of docs/wire.md.
func TestWireAnchorsExist(t *testing.T) {
	anchors := anchorsOf(t, filepath.Join(root, "docs", "wire.md"))
	var hits []string
	for _, f := range textFiles(t) {
		eachLine(t, f, func(n int, line string) {
			for _, m := range wireCite.FindAllStringSubmatch(line, -1) {
				if !anchors[m[1]] {
					hits = append(hits, fmt.Sprintf("%s:%d: docs/wire.md has no anchor %q", f, n, m[1]))
				}
			}
		})
	}
	report(t, hits)
}

// mdLink is the target of a Markdown inline link.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Ensure every relative link in README.md and docs/*.md names an existing file, and an
// anchor of it where the link has one.
func TestRelativeLinksResolve(t *testing.T) {
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	var hits []string
	for _, f := range files {
		fence := false
		eachLine(t, f, func(n int, line string) {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fence = !fence
			}
			if fence {
				return
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				if msg := checkLink(t, f, m[1]); msg != "" {
					hits = append(hits, fmt.Sprintf("%s:%d: %s", f, n, msg))
				}
			}
		})
	}
	report(t, hits)
}

// checkLink says what is wrong with target, a link in file f, or "" when nothing is.
func checkLink(t *testing.T, f, target string) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	path, frag, _ := strings.Cut(target, "#")
	file := filepath.Join(root, filepath.FromSlash(f))
	if path != "" {
		file = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
		if _, err := os.Stat(file); err != nil {
			return fmt.Sprintf("link %q: no such file", target)
		}
	}
	if frag != "" && strings.HasSuffix(file, ".md") && !anchorsOf(t, file)[frag] {
		return fmt.Sprintf("link %q: no such anchor", target)
	}
	return ""
}

var (
	explicitAnchor = regexp.MustCompile(`<a (?:id|name)="([^"]+)"`)
	heading        = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	slugDrop       = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
)

// anchorsOf is the set of anchors a Markdown file has on GitHub: explicit <a id> and
// <a name> tags, and its headings' slugs.
func anchorsOf(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	fence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
		}
		for _, m := range explicitAnchor.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		if m := heading.FindStringSubmatch(line); m != nil && !fence {
			anchors[slug(m[1])] = true
		}
	}
	return anchors
}

// slug is GitHub's anchor for a heading: lower case, punctuation dropped, spaces as "-".
func slug(h string) string {
	h = strings.ReplaceAll(h, "`", "")
	h = slugDrop.ReplaceAllString(strings.ToLower(h), "")
	return strings.ReplaceAll(h, " ", "-")
}

// textFiles are the tracked files the checks read, relative to root with "/": Go, SQL and
// Markdown files and the CI script, outside testdata directories.
func textFiles(t *testing.T) []string {
	t.Helper()
	var all []string
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err == nil {
		for _, f := range bytes.Split(out, []byte{0}) {
			if len(f) > 0 {
				all = append(all, string(f))
			}
		}
	} else {
		// Not a git checkout (an exported tree): every file under root but .git.
		err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				all = append(all, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var files []string
	for _, f := range all {
		if isText(f) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no files to check")
	}
	return files
}

func isText(f string) bool {
	if strings.HasPrefix(f, "testdata/") || strings.Contains(f, "/testdata/") {
		return false
	}
	switch filepath.Ext(f) {
	case ".go", ".sql", ".md":
		return true
	}
	return f == ".ci/run"
}

// eachLine calls fn with each line of f, a path relative to root, numbered from 1.
func eachLine(t *testing.T, f string, fn func(n int, line string)) {
	t.Helper()
	file, err := os.Open(filepath.Join(root, filepath.FromSlash(f)))
	if err != nil {
		if os.IsNotExist(err) {
			return // deleted in the work tree but still tracked
		}
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
}

func report(t *testing.T, hits []string) {
	t.Helper()
	if len(hits) > 0 {
		t.Errorf("%d found:\n%s", len(hits), strings.Join(hits, "\n"))
	}
}

// archPackage is a package path as docs/architecture.md names it, in backquotes.
var archPackage = regexp.MustCompile("`((?:internal|cmd|examples)/[a-z0-9_/]+|docs)`")

// Ensure docs/architecture.md names packages that exist, and every package that exists.
func TestArchitectureNamesPackages(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	var hits []string
	for _, m := range archPackage.FindAllStringSubmatch(string(text), -1) {
		named[m[1]] = true
		if !hasGo(t, filepath.Join(root, m[1])) {
			hits = append(hits, fmt.Sprintf("docs/architecture.md names %s, which holds no Go package", m[1]))
		}
	}
	for _, f := range textFiles(t) {
		dir := filepath.ToSlash(filepath.Dir(f))
		if !strings.HasSuffix(f, ".go") || strings.Contains(dir, "testdata") || named[dir] {
			continue
		}
		named[dir] = true
		hits = append(hits, fmt.Sprintf("package %s is missing from docs/architecture.md", dir))
	}
	report(t, hits)
}

// hasGo reports whether dir holds a Go file.
func hasGo(t *testing.T, dir string) bool {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	return len(matches) > 0
}
