// Package monitor watches a served model's quality. It keeps recent
// predictions so that true labels sent later can be paired with them,
// computes rolling accuracy per model version, and measures input drift
// per feature with the population stability index against the training
// deciles stored in the model.
//
// Everything here is safe for concurrent use, bounded in memory whatever
// the load, and cheap enough to call on every prediction. The package
// does not depend on HTTP, metrics or the CLI, because pkg/server wires
// it in.
package monitor
