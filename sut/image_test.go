package sut_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/sut"
)

// A target file for a server in a container, without the admin API.
const imageTarget = `
name: their server
image:
  name: example.com/their/server:1.2
  port: 9000
  env: {LOG_LEVEL: debug}
  args: [--fast]
  readyPath: /health
  startTimeout: 90s
tenant: acme
store: default
tokens:
  full: {tokenEnv: THEIR_TOKEN}
users:
  registered: [{id: ABC, externalId: a, passcode: x}]
`

func TestImageSection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{name: "an image instead of a base URL", yaml: imageTarget},
		{name: "both a base URL and an image", yaml: imageTarget + "baseURL: http://h:1\n", wantErr: "not both"},
		{name: "an image without a name", yaml: strings.Replace(imageTarget, "name: example.com/their/server:1.2", `name: ""`, 1), wantErr: "image.name is required"},
		{name: "a ready path without a slash", yaml: strings.Replace(imageTarget, "/health", "health", 1), wantErr: "readyPath"},
		{name: "a port out of range", yaml: strings.Replace(imageTarget, "9000", "70000", 1), wantErr: "not a port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, err := sut.Parse([]byte(tc.yaml))
			if tc.wantErr != "" {
				if !errors.Is(err, sut.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			im := tg.Image
			if im == nil || im.Name != "example.com/their/server:1.2" || im.Port != 9000 || im.Env["LOG_LEVEL"] != "debug" ||
				len(im.Args) != 1 || im.ReadyPath != "/health" || time.Duration(im.StartTimeout) != 90*time.Second || tg.BaseURL != "" {
				t.Errorf("image = %+v, baseURL %q", im, tg.BaseURL)
			}
		})
	}
}
