// Package registry stores trained models as signed, versioned artifacts on disk.
//
// A registry is a directory tree:
//
//	ROOT/NAME/vN/            one version: the published files plus
//	ROOT/NAME/vN/manifest.json  name, version, creation time and the SHA-256 and size of every file
//	ROOT/NAME/vN/manifest.sig   Ed25519 signature of the manifest.json bytes and the signer's key fingerprint
//	ROOT/NAME/aliases.json   alias -> version, for example {"production": 3}
//
// Versions are written into a hidden temporary directory and renamed into place, so a
// reader never sees a half-written version, and concurrent publishers get distinct version
// numbers. Every read that hands bytes to a caller verifies the signature and the digests
// first. The package treats the files as opaque bytes.
package registry
