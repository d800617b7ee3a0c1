// Package provider starts the server behind a sut.Target: InProcess runs the
// reference server (refserver) in this process, Container runs an image with
// testcontainers-go (`--image`, or a target file's `image:` section), and OpenWith
// is the one place that picks among them and sut.Static for what a command line
// names.
//
// It is the one package that pulls the reference server, its storage and
// testcontainers-go into a harness; the suite (steps) and the load generator (load)
// take a sut.Target and leave starting it to cmd/renewkit and to tests.
package provider
