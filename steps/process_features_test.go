package steps

import (
	"testing"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/features"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
	"github.com/seedb14f67b8/renewkit/sut"
)

// TestProcessFeatures runs features/process*.feature against the in-process
// reference server, each scenario a subtest.
func TestProcessFeatures(t *testing.T) {
	srv := refservertest.Start(t, refserver.Config{})
	tg, err := sut.FromURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	tokens := sut.NewTokenSource(tg, nil)
	suite := godog.TestSuite{
		Name: "process",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			InitializeProcessScenario(sc, tg, tokens)
		},
		Options: &godog.Options{
			Format:   "progress",
			FS:       features.FS,
			Paths:    []string{"process.feature"},
			Strict:   true,
			TestingT: t,
		},
	}
	if suite.Run() != 0 {
		t.Fatal("process features failed")
	}
}
