package sqlite

// CloseReadPool closes s's read connections, for tests that show what needs none.
func CloseReadPool(s *Store) error { return s.read.Close() }
