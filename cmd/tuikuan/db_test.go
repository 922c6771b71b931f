package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testDB is a PostgreSQL URL from TUIKUAN_TEST_DB. When set, every server the tests start
// runs on a database of its own created from it (and dropped after the test); unset, on
// SQLite in its data dir.
var testDB = os.Getenv("TUIKUAN_TEST_DB")

// testDBs maps data dirs to the databases of their servers, so that a server restarted
// on a dir finds its data again.
var testDBs struct {
	mu sync.Mutex
	n  int
	// byDir is the database URL of each data dir that has one.
	byDir map[string]string
	// copies are data dirs copied from the template dir: their database is a copy of the
	// template's.
	copies map[string]bool
}

// skipOnPostgres skips a test of something only SQLite has.
func skipOnPostgres(t testing.TB, what string) {
	t.Helper()
	if testDB != "" {
		t.Skipf("on PostgreSQL (TUIKUAN_TEST_DB): %s is SQLite's", what)
	}
}

// markTemplateCopy records that dir is a copy of the template data dir.
func markTemplateCopy(dir string) {
	testDBs.mu.Lock()
	defer testDBs.mu.Unlock()
	if testDBs.copies == nil {
		testDBs.copies = map[string]bool{}
	}
	testDBs.copies[dir] = true
}

// dbFor returns the database URL of dir's server, "" on SQLite. The first call for a dir
// creates the database: a copy of the template's if dir is a copy of the template dir,
// else an empty one. It is dropped when t ends.
func dbFor(t testing.TB, dir string) string {
	t.Helper()
	if testDB == "" {
		return ""
	}
	testDBs.mu.Lock()
	defer testDBs.mu.Unlock()
	if u, ok := testDBs.byDir[dir]; ok {
		return u
	}
	from := ""
	if testDBs.copies[dir] {
		from = templateDB(t)
	}
	testDBs.n++
	name := fmt.Sprintf("tuikuan_test_%d_%d", os.Getpid(), testDBs.n)
	u, err := createDB(name, from)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	if testDBs.byDir == nil {
		testDBs.byDir = map[string]string{}
	}
	testDBs.byDir[dir] = u
	t.Cleanup(func() {
		if err := dropDB(name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return u
}

// shareDB makes dir's server use the database at u, another server's.
func shareDB(dir, u string) {
	testDBs.mu.Lock()
	defer testDBs.mu.Unlock()
	if testDBs.byDir == nil {
		testDBs.byDir = map[string]string{}
	}
	testDBs.byDir[dir] = u
}

// envFor is the environment of a command run on dir: TUIKUAN_DB names dir's database.
func envFor(t testing.TB, dir string) func(string) string {
	db := dbFor(t, dir)
	return func(k string) string {
		if k == "TUIKUAN_DB" {
			return db
		}
		return ""
	}
}

// templateDB returns the URL of the template data dir's database ("" on SQLite).
func templateDB(t testing.TB) string {
	templateDir(t)
	return template.db
}

// createDB creates database name on testDB's server, a copy of database from if not
// empty, and returns its URL.
func createDB(name, from string) (string, error) {
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if from != "" {
		u, err := url.Parse(from)
		if err != nil {
			return "", err
		}
		stmt += " TEMPLATE " + pgx.Identifier{u.Path[1:]}.Sanitize()
	}
	if err := adminExec(stmt); err != nil {
		return "", err
	}
	u, err := url.Parse(testDB)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// dropDB drops database name, closing the connections left to it.
func dropDB(name string) error {
	return adminExec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)")
}

// adminExec runs one statement on testDB's own database.
func adminExec(stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDB)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}
