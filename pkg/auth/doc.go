// Package auth issues and verifies the JWT bearer tokens that guard the
// inference API, checks roles, and stores API clients with bcrypt-hashed
// secrets.
//
// The accepted signing algorithm is pinned by Config, so a token can never
// choose its own algorithm. Every verification failure is an *Error with a
// stable Code that the HTTP layer can put in a JSON body. The package never
// places a token, key or client secret in an error message or a log line.
//
// It does not serve HTTP and does not read configuration files other than
// key and clients files named by the caller.
package auth
