package store

// Driver names the store's database; pg-store's branch brings the real one
// (this placeholder goes when it is merged).
func (s *Store) Driver() string { return "sqlite" }
