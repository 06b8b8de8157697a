// Package templates embeds the files that `mlops init` renders into a new
// project. Files ending in .tmpl are text/template sources; other files are
// copied as they are. A leading "dot-" in a name stands for ".", so that the
// repository's own git does not act on files such as dot-gitignore.tmpl.
package templates

import "embed"

// FS holds the project tree under the folder "project".
//
//go:embed project
var FS embed.FS
