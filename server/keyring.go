package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/signin"
)

// keyringRefresh is how long an API process trusts the keys it read: a
// rotation made by another process is seen within it.
const keyringRefresh = 10 * time.Second

// keyring is this process's view of the signing keys: the one that signs and
// the ones published. It reads them again every keyringRefresh, and first
// makes sure there is a key signing and a next key published (rotating when
// the signing key is RotateEvery old), so rotation needs no operator.
type keyring struct {
	pool *pgxpool.Pool
	box  *secrets.Box
	lead time.Duration // how long a next key is published before it may sign

	mu        sync.Mutex
	readAt    time.Time
	signing   signin.Key
	published []signin.Key
}

// current is the signing key and the published ones, read again when stale.
func (k *keyring) current(ctx context.Context) (signin.Key, []signin.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.readAt) < keyringRefresh && k.signing.Private != nil {
		return k.signing, k.published, nil
	}
	if err := RotateSigningKeys(ctx, k.pool, k.box, k.lead, false); err != nil {
		return signin.Key{}, nil, err
	}
	signing, published, err := loadKeys(ctx, k.pool, k.box)
	if err != nil {
		return signin.Key{}, nil, err
	}
	k.signing, k.published, k.readAt = signing, published, time.Now()
	return signing, published, nil
}

// forget makes the next use read the keys again (after a rotation here).
func (k *keyring) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.readAt = time.Time{}
}

// ErrRotateTooSoon: the next key has not been published long enough to sign.
var ErrRotateTooSoon = errors.New("the next signing key has not been published long enough")

// RotateSigningKeys keeps the keys in order, under one lock across
// processes: there is always a next key published, and a key signing (the
// first one signs at once: nobody can hold a token of an older one). When
// force is set, or the signing key is signin.RotateEvery old, the next key
// signs from now on, the old one is retired (still published for
// signin.RetireAfter, so no token it signed stops verifying) and a new next
// key is published. A next key published less than lead ago may not sign
// yet (verifiers may not have fetched it): forced, that is ErrRotateTooSoon.
func RotateSigningKeys(ctx context.Context, pool *pgxpool.Pool, box *secrets.Box, lead time.Duration, force bool) error {
	if box == nil {
		return errors.New("signing keys need LANDLORD_SECRET_KEY")
	}
	return db.InTx(ctx, pool, func(q *db.Queries) error {
		if err := q.SigningKeyLock(ctx); err != nil {
			return err
		}
		keys, err := q.SigningKeyPublished(ctx, time.Now().Add(-signin.RetireAfter))
		if err != nil {
			return err
		}
		var next, signing *db.SigningKey
		for i := range keys {
			switch k := &keys[i]; {
			case k.SigningSince == nil:
				next = k
			case k.RetiredAt == nil:
				signing = k
			}
		}
		now := time.Now()
		switch {
		case signing == nil && next != nil:
			if _, err := q.SigningKeyPromote(ctx); err != nil {
				return err
			}
			next = nil
		case signing != nil && next != nil && (force || now.Sub(*signing.SigningSince) >= signin.RotateEvery):
			if age := now.Sub(next.CreatedAt); age < lead {
				if force {
					return fmt.Errorf("%w: %s of %s; rotate again after %s", ErrRotateTooSoon,
						age.Round(time.Second), lead, next.CreatedAt.Add(lead).UTC().Format(time.RFC3339))
				}
				break
			}
			if err := q.SigningKeyRetire(ctx); err != nil {
				return err
			}
			if _, err := q.SigningKeyPromote(ctx); err != nil {
				return err
			}
			next = nil
		}
		if next == nil {
			k := signin.NewKey()
			if err := q.SigningKeyInsert(ctx, db.SigningKeyInsertParams{Kid: k.ID, PublicKey: k.Public,
				PrivateKeyEnc: box.Seal(k.Private)}); err != nil {
				return err
			}
			if signing == nil && len(keys) == 0 { // the very first key signs at once, a next one waits
				if _, err := q.SigningKeyPromote(ctx); err != nil {
					return err
				}
				k := signin.NewKey()
				if err := q.SigningKeyInsert(ctx, db.SigningKeyInsertParams{Kid: k.ID, PublicKey: k.Public,
					PrivateKeyEnc: box.Seal(k.Private)}); err != nil {
					return err
				}
			}
		}
		return q.SigningKeyDeleteRetired(ctx, now.Add(-signin.RetireAfter))
	})
}

// loadKeys reads the signing key (with its private half) and the published ones.
func loadKeys(ctx context.Context, pool *pgxpool.Pool, box *secrets.Box) (signin.Key, []signin.Key, error) {
	rows, err := db.New(pool).SigningKeyPublished(ctx, time.Now().Add(-signin.RetireAfter))
	if err != nil {
		return signin.Key{}, nil, err
	}
	var signing signin.Key
	published := make([]signin.Key, 0, len(rows))
	for _, r := range rows {
		k := signin.Key{ID: r.Kid, Public: ed25519.PublicKey(r.PublicKey)}
		if r.SigningSince != nil && r.RetiredAt == nil {
			priv, err := box.Open(r.PrivateKeyEnc)
			if err != nil {
				return signin.Key{}, nil, fmt.Errorf("open signing key %s: %w", r.Kid, err)
			}
			k.Private = ed25519.PrivateKey(priv)
			signing = k
		}
		published = append(published, signin.Key{ID: k.ID, Public: k.Public})
	}
	if signing.Private == nil {
		return signin.Key{}, nil, errors.New("no signing key")
	}
	return signing, published, nil
}
