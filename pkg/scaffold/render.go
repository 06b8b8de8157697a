package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/mlops-dev/mlops/templates"
)

// templateRoot is the folder in templates.FS that mirrors a project.
const templateRoot = "project"

// Container ports of Traefik's entrypoints. Both are above 1024 so Traefik
// needs no capability to bind them.
const (
	containerHTTPSPort = 8443
	containerHTTPPort  = 8080
)

// funcs is the one function map every template shares.
var funcs = template.FuncMap{
	"quote": quote,
	"join":  strings.Join,
}

// quote renders s as a JSON string without HTML escaping, which is also a
// valid double-quoted YAML and Python string.
func quote(s string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

var parseTemplates = sync.OnceValues(func() (*template.Template, error) {
	root := template.New("").Option("missingkey=error").Funcs(funcs)
	err := fs.WalkDir(templates.FS, templateRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") {
			return err
		}
		src, err := fs.ReadFile(templates.FS, p)
		if err != nil {
			return err
		}
		if _, err := root.New(p).Parse(string(src)); err != nil {
			return fmt.Errorf("parse template %s: %w", p, err)
		}
		return nil
	})
	return root, err
})

// envVar is one line of .env.
type envVar struct{ Key, Value string }

type acmeData struct {
	Email, CAServer, Environment string
}

// templateData is the value every template is executed with.
type templateData struct {
	Project, Domain     string
	HTTPSPort, HTTPPort int
	ContainerHTTPSPort  int
	ContainerHTTPPort   int
	// PublishAddr limits published ports to loopback for local domains.
	PublishAddr    string
	Services       []string
	AllServices    []string
	Images         map[string]string
	Hosts          []hostView
	Volumes        []string
	ACME           *acmeData
	DashboardUser  string
	Env            []envVar
	APIURL         string
	InternalAPIURL string
	HostsLine      string
}

// hostView exposes Host with exported fields for the templates.
type hostView struct {
	Name, FQDN, Title, PublicURL string
	// Rule, Service (Traefik's), URL and Middlewares describe the router.
	Rule, Service, URL string
	Middlewares        []string
}

// Has reports whether service is selected.
func (d *templateData) Has(service string) bool { return slices.Contains(d.Services, service) }

// URL returns the public URL of the host called name.
func (d *templateData) URL(name string) string {
	return publicURL(name+"."+d.Domain, d.HTTPSPort)
}

func newTemplateData(opts Options, env []envVar, dashboardUser string) *templateData {
	hosts := Hosts(opts.Domain, opts.HTTPSPort, opts.Services)
	d := &templateData{
		Project:            opts.Project,
		Domain:             opts.Domain,
		HTTPSPort:          opts.HTTPSPort,
		HTTPPort:           opts.HTTPPort,
		ContainerHTTPSPort: containerHTTPSPort,
		ContainerHTTPPort:  containerHTTPPort,
		Services:           opts.Services,
		AllServices:        Services,
		Images:             opts.Images,
		DashboardUser:      dashboardUser,
		Env:                env,
		APIURL:             strings.TrimSuffix(publicURL("api."+opts.Domain, opts.HTTPSPort), "/"),
		HostsLine:          HostsLine(hosts),
	}
	for _, h := range hosts {
		d.Hosts = append(d.Hosts, hostView{
			Name: h.Name, FQDN: h.FQDN, Title: h.Title, PublicURL: h.PublicURL,
			Rule: h.rule, Service: h.backend, URL: h.url, Middlewares: h.middlewares,
		})
	}
	if isLocalDomain(opts.Domain) {
		d.PublishAddr = "127.0.0.1:"
	}
	d.InternalAPIURL = "http://api:8080"
	if d.Has("traefik") {
		// Traefik's frontend aliases resolve the public names inside the stack.
		d.InternalAPIURL = fmt.Sprintf("https://api.%s:%d", opts.Domain, containerHTTPSPort)
	}
	for _, v := range []struct{ service, volume string }{
		{"redis", "redis-data"}, {"prometheus", "prometheus-data"},
		{"grafana", "grafana-data"}, {"code-server", "code-server-home"},
	} {
		if d.Has(v.service) {
			d.Volumes = append(d.Volumes, v.volume)
		}
	}
	if opts.ACMEEmail != "" {
		d.ACME = &acmeData{Email: opts.ACMEEmail, CAServer: ACMEStaging, Environment: "staging"}
		if opts.ACMEProductionServer {
			d.ACME.CAServer, d.ACME.Environment = ACMEProduction, "production"
		}
	}
	return d
}

// File is one file of the project, relative to its folder.
type File struct {
	Path string
	Mode fs.FileMode
	Data []byte
}

// fileService names the service a file exists for; files not listed are
// always written.
var fileService = map[string]string{
	"traefik/":            "traefik",
	"monitoring/prom":     "prometheus",
	"monitoring/alerts":   "prometheus",
	"monitoring/grafana/": "grafana",
}

// secretFiles get mode 0600.
var secretFiles = map[string]bool{".env": true}

// renderFiles renders every template and copies every static file that the
// selected services need.
func renderFiles(d *templateData) ([]File, error) {
	root, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	var files []File
	err = fs.WalkDir(templates.FS, templateRoot, func(p string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		rel := outputPath(strings.TrimPrefix(p, templateRoot+"/"))
		if !d.wants(rel) {
			return nil
		}
		data, err := renderOne(root, p, d)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if secretFiles[rel] {
			mode = 0o600
		}
		files = append(files, File{Path: rel, Mode: mode, Data: data})
		return nil
	})
	return files, err
}

func (d *templateData) wants(rel string) bool {
	for prefix, service := range fileService {
		if strings.HasPrefix(rel, prefix) && !d.Has(service) {
			return false
		}
	}
	return true
}

func renderOne(root *template.Template, p string, d *templateData) ([]byte, error) {
	if !strings.HasSuffix(p, ".tmpl") {
		return fs.ReadFile(templates.FS, p)
	}
	var buf bytes.Buffer
	if err := root.ExecuteTemplate(&buf, p, d); err != nil {
		return nil, fmt.Errorf("render %s: %w", p, err)
	}
	return buf.Bytes(), nil
}

// outputPath maps a template path to the project path: ".tmpl" is dropped
// and a leading "dot-" in the file name becomes ".".
func outputPath(p string) string {
	p = strings.TrimSuffix(p, ".tmpl")
	dir, name := path.Split(p)
	if rest, ok := strings.CutPrefix(name, "dot-"); ok {
		name = "." + rest
	}
	return dir + name
}
