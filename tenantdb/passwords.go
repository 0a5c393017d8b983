package tenantdb

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const userColumns = `id, company_id, email, name, role, created_at`

// Credentials are a user and its password hash ("" while it has none).
type Credentials struct {
	User
	PasswordHash string
}

// UserByEmail is the user signing in with email (any letter case) and its
// password hash; ErrNotFound when there is none.
func UserByEmail(ctx context.Context, pool *pgxpool.Pool, email string) (Credentials, error) {
	return credentials(ctx, pool, `lower(email) = lower($1)`, email)
}

// UserCredentials is a user by id and its password hash; ErrNotFound when there is none.
func UserCredentials(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) (Credentials, error) {
	return credentials(ctx, pool, `id = $1`, id)
}

func credentials(ctx context.Context, pool *pgxpool.Pool, where string, arg any) (Credentials, error) {
	var c Credentials
	var hash *string
	err := pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE `+where, arg).
		Scan(&c.ID, &c.CompanyID, &c.Email, &c.Name, &c.Role, &c.CreatedAt, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return Credentials{}, ErrNotFound
	}
	if hash != nil {
		c.PasswordHash = *hash
	}
	return c, err
}

// SetPassword stores a user's new password hash; ErrNotFound when the user was removed.
func SetPassword(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID, hash string) error {
	tag, err := pool.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1`, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

// Rehash replaces a user's password hash made under old parameters with one
// of the same password under today's, unless the password changed meanwhile.
func Rehash(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID, old, hash string) error {
	_, err := pool.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, id, old, hash)
	return err
}
