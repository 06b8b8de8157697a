package scaffold

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// PrintSummary writes what init did (or would do, on a dry run), the hosts
// line for /etc/hosts and the URLs. It never prints a secret.
func PrintSummary(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	verb := "Wrote"
	if r.DryRun {
		verb = "Would write"
	}
	fmt.Fprintf(tw, "%s project %q in %s:\n", verb, r.Project, r.Dir)
	for _, f := range r.Files {
		fmt.Fprintf(tw, "  %s\t%s\t%04o\n", f.Action, f.Path, f.Mode.Perm())
	}
	if c := r.Conflicts(); len(c) > 0 {
		fmt.Fprintf(tw, "\n%d existing files differ and need --force: %s\n", len(c), strings.Join(c, ", "))
	}
	fmt.Fprintf(tw, "\nURLs:\n")
	for _, h := range r.Hosts {
		fmt.Fprintf(tw, "  %s\t%s\n", h.Title, h.PublicURL)
	}
	if r.ACME {
		fmt.Fprintf(tw, "\nPoint DNS for these hosts at this machine; Let's Encrypt issues the certificates.\n")
	} else {
		fmt.Fprintf(tw, "\nAdd this line to /etc/hosts unless these names already resolve to this machine:\n  %s\n", r.HostsLine)
		fmt.Fprintf(tw, "\nThe local CA is %s; `mlops certs` prints how to trust it.\n", r.CACert)
	}
	fmt.Fprintf(tw, "Next: cd %s && mlops train --data data/iris.csv && mlops up\n", r.Dir)
	return tw.Flush()
}
