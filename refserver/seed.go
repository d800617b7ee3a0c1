package refserver

import (
	"context"
	"errors"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// seed loads fixtures into st. (Temporary until the fixtures package lands.)
func seed(ctx context.Context, st store.Store, path string, p *srp.Params) error {
	return errors.New("refserver: fixtures package not yet available")
}
