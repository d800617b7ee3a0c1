// Package kubernetes holds the manifests of a distributed load run on Kubernetes
// (kustomization.yaml and what it lists: an Indexed Job of shards and the
// collector that starts them together and merges their reports; docs/load.md
// explains them) and the test that keeps them true: every manifest decoded
// strictly into the real k8s.io/api types, the parts that must agree checked
// against each other, and every renewkit command line against the binary's flags.
//
// It has no code of its own: the manifests are files for people to copy.
package kubernetes
