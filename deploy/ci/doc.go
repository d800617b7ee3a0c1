// Package ci holds the CI templates that gate another team's build on renewkit
// (github-actions.yml, gitlab-ci.yml; docs/ci-gating.md explains them) and the
// tests that keep them and the documented `docker run` commands true: each
// template parsed as its CI system reads it, every renewkit command line in it
// checked against the flags the binary really has, and the reference image run
// with `docker run` against a server, where a Docker engine answers.
//
// It has no code of its own: the templates are files for people to copy.
package ci
