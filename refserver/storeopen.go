package refserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/refserver/store/sqlite"
)

// openStore opens the storage a DSN names: "memory:" for the in-memory store,
// "sqlite:<path>" for an SQLite file (created if missing; "sqlite::memory:" for a
// private in-memory SQLite database).
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	scheme, rest, ok := strings.Cut(dsn, ":")
	switch {
	case ok && scheme == "memory" && rest == "":
		return memory.New(), nil
	case ok && scheme == "sqlite" && rest != "":
		st, err := sqlite.Open(ctx, rest)
		if err != nil {
			return nil, fmt.Errorf("refserver: open store: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w: store %q is neither memory: nor sqlite:<path>", ErrConfig, dsn)
}
