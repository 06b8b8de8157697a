package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// DefaultBcryptCost is the bcrypt cost for new client secrets: 2^12 key
// expansion rounds per hash, which makes guessing a leaked hash slow.
// Authenticate pays this once per call (BenchmarkAuthenticate measures it).
const DefaultBcryptCost = 12

// clientSecretBytes is the entropy of a generated client secret (256 bits).
const clientSecretBytes = 32

// clientsFileVersion is the format version written to the clients file.
const clientsFileVersion = 1

// compareHash is bcrypt.CompareHashAndPassword; tests replace it to count
// comparisons.
var compareHash = bcrypt.CompareHashAndPassword

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Client is an API client that may exchange its secret for a token.
type Client struct {
	ID        string    `json:"id"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
}

type clientRecord struct {
	Client
	SecretHash string `json:"secret_hash"`
}

type clientsFile struct {
	Version int            `json:"version"`
	Clients []clientRecord `json:"clients"`
}

// ClientStore is a JSON clients file holding client IDs, roles and bcrypt
// hashes of client secrets. Writes replace the file atomically with mode
// 0600. Authenticate rereads the file when it changed on disk, so clients
// added by the CLI are seen by a running server.
//
// NOTE: the store serializes writers inside one process only. Two CLI
// processes writing at the same moment can lose one of the changes.
type ClientStore struct {
	path string
	cost int

	mu      sync.Mutex
	clients []clientRecord
	modTime time.Time
	size    int64

	dummyOnce sync.Once
	dummyHash []byte
}

// OpenClients loads the clients file at path. A missing file gives an empty
// store; the file is created by the first Add. A file that group or others
// can access is rejected.
func OpenClients(path string) (*ClientStore, error) {
	s := &ClientStore{path: path, cost: DefaultBcryptCost}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// SetCost sets the bcrypt cost for secrets added later. Tests use
// bcrypt.MinCost to stay fast; production keeps DefaultBcryptCost.
func (s *ClientStore) SetCost(cost int) error {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cost = cost
	return nil
}

// Add creates a client with roles and returns its new secret. The secret is
// shown only here; the file keeps its bcrypt hash.
func (s *ClientStore) Add(id string, roles []string) (string, error) {
	if !clientIDPattern.MatchString(id) {
		return "", fmt.Errorf("client id %q is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	if err := ValidateRoles(roles); err != nil {
		return "", fmt.Errorf("add client %q: %w", id, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return "", err
	}
	if s.indexLocked(id) >= 0 {
		return "", fmt.Errorf("client %q already exists in %s; remove it first to replace its secret", id, s.path)
	}

	secret, err := newClientSecret()
	if err != nil {
		return "", fmt.Errorf("add client %q: %w", id, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.cost)
	if err != nil {
		return "", fmt.Errorf("hash secret of client %q: %w", id, err)
	}
	rec := clientRecord{
		Client:     Client{ID: id, Roles: normalizeRoles(roles), CreatedAt: time.Now().UTC().Truncate(time.Second)},
		SecretHash: string(hash),
	}
	next := append(slices.Clone(s.clients), rec)
	if err := s.saveLocked(next); err != nil {
		return "", err
	}
	return secret, nil
}

// List returns the clients sorted by ID, without their hashes.
func (s *ClientStore) List() []Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Client, 0, len(s.clients))
	for _, rec := range s.clients {
		c := rec.Client
		c.Roles = slices.Clone(c.Roles)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Client) int { return cmpString(a.ID, b.ID) })
	return out
}

// Remove deletes the client with id.
func (s *ClientStore) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return err
	}
	i := s.indexLocked(id)
	if i < 0 {
		return fmt.Errorf("client %q not found in %s", id, s.path)
	}
	next := slices.Delete(slices.Clone(s.clients), i, i+1)
	return s.saveLocked(next)
}

// Authenticate checks secret against the stored hash of client id. Any
// mismatch, including an unknown id, returns an *Error with
// CodeInvalidClient. An unknown id still costs one bcrypt comparison
// against a dummy hash, so response time does not reveal which ids exist.
func (s *ClientStore) Authenticate(id, secret string) (*Client, error) {
	s.mu.Lock()
	reloadErr := s.reloadLocked()
	var rec *clientRecord
	if i := s.indexLocked(id); i >= 0 {
		r := s.clients[i]
		rec = &r
	}
	cost := s.cost
	s.mu.Unlock()
	if reloadErr != nil {
		return nil, reloadErr
	}

	hash := s.dummy(cost)
	if rec != nil {
		hash = []byte(rec.SecretHash)
	}
	// bcrypt only reads the first 72 bytes, so a longer input could match
	// a prefix. Generated secrets are 43 bytes.
	candidate := []byte(secret)
	if len(candidate) > 72 {
		candidate = nil
	}
	err := compareHash(hash, candidate)
	if rec == nil || len(candidate) == 0 || err != nil {
		return nil, unauthorized(CodeInvalidClient, "client id or secret is wrong", nil)
	}
	c := rec.Client
	c.Roles = slices.Clone(c.Roles)
	return &c, nil
}

func (s *ClientStore) dummy(cost int) []byte {
	s.dummyOnce.Do(func() {
		// The dummy secret is random so no input can match it.
		secret, err := newClientSecret()
		if err != nil {
			secret = "unreachable-dummy-secret"
		}
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(secret), cost)
	})
	return s.dummyHash
}

func newClientSecret() (string, error) {
	b := make([]byte, clientSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *ClientStore) indexLocked(id string) int {
	return slices.IndexFunc(s.clients, func(r clientRecord) bool { return r.ID == id })
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *ClientStore) load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked()
}

// reloadLocked rereads the file when its size or modification time
// changed since the last read.
func (s *ClientStore) reloadLocked() error {
	info, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.clients, s.modTime, s.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("read clients file: %w", err)
	}
	if info.ModTime().Equal(s.modTime) && info.Size() == s.size && s.clients != nil {
		return nil
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("clients file %q has mode %04o; run chmod 600 %q", s.path, perm, s.path)
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("read clients file: %w", err)
	}
	clients, err := parseClients(data)
	if err != nil {
		return fmt.Errorf("clients file %q: %w", s.path, err)
	}
	s.clients, s.modTime, s.size = clients, info.ModTime(), info.Size()
	return nil
}

// EnsureClientsFile writes an empty client file at path, mode 0600, unless one exists.
// mlops up calls it so that the api container always has a file to mount.
func EnsureClientsFile(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s := &ClientStore{path: path, cost: DefaultBcryptCost}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked(nil)
}
