package certs

import (
	"fmt"
	"strings"
)

// TrustInstructions returns the commands that add the CA at caPath to the
// system trust store on Debian/Ubuntu, Fedora/RHEL and macOS. Browsers with
// their own store (Firefox) need the CA imported in their settings as well.
func TrustInstructions(caPath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Trust the local CA %s so browsers and tools accept the HTTPS hosts:\n\n", caPath)
	fmt.Fprintf(&b, "  Debian, Ubuntu:\n")
	fmt.Fprintf(&b, "    sudo cp %s /usr/local/share/ca-certificates/mlops-local-ca.crt\n", caPath)
	fmt.Fprintf(&b, "    sudo update-ca-certificates\n\n")
	fmt.Fprintf(&b, "  Fedora, RHEL:\n")
	fmt.Fprintf(&b, "    sudo trust anchor --store %s\n", caPath)
	fmt.Fprintf(&b, "    (or copy it to /etc/pki/ca-trust/source/anchors/ and run sudo update-ca-trust)\n\n")
	fmt.Fprintf(&b, "  macOS:\n")
	fmt.Fprintf(&b, "    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain %s\n\n", caPath)
	fmt.Fprintf(&b, "  Firefox keeps its own store: Settings > Privacy & Security > Certificates > Import.\n")
	fmt.Fprintf(&b, "  For a single command, pass the CA instead: curl --cacert %s https://...\n", caPath)
	return b.String()
}
