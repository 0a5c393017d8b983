package tenantdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound: no such company or user in this tenant's database.
var ErrNotFound = errors.New("not found")

// ErrDuplicate: a company code or user email that the tenant already has.
var ErrDuplicate = errors.New("already exists")

// LimitError is a plan limit a write would break.
type LimitError struct {
	Limit   string
	Used    int64
	Allowed int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %d used of %d allowed", e.Limit, e.Used, e.Allowed)
}

// Company is a company in a tenant's ERP.
type Company struct {
	ID        uuid.UUID `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	IsDefault bool      `json:"is_default"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a user of a tenant's ERP, in one company.
type User struct {
	ID        uuid.UUID `json:"id"`
	CompanyID uuid.UUID `json:"company_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Transaction is a metered ERP posting.
type Transaction struct {
	ID          uuid.UUID `json:"id"`
	CompanyID   uuid.UUID `json:"company_id"`
	AmountCents int64     `json:"amount_cents"`
	Memo        string    `json:"memo"`
	PostedAt    time.Time `json:"posted_at"`
}

// Each limit is checked and the row written under one transaction-scoped
// advisory lock of the tenant database, so concurrent writers cannot both
// take the last slot.
const (
	lockCompanies = 1
	lockUsers     = 2
)

// ListCompanies lists the tenant's companies, oldest first.
func ListCompanies(ctx context.Context, pool *pgxpool.Pool) ([]Company, error) {
	rows, err := pool.Query(ctx, `SELECT id, code, name, is_default, created_at FROM companies ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Company])
}

// GetCompany is one company.
func GetCompany(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) (Company, error) {
	rows, err := pool.Query(ctx, `SELECT id, code, name, is_default, created_at FROM companies WHERE id = $1`, id)
	if err != nil {
		return Company{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Company])
	if errors.Is(err, pgx.ErrNoRows) {
		return Company{}, ErrNotFound
	}
	return c, err
}

// Limits are the plan limits a company or user write is checked against.
type Limits struct {
	MaxCompanies       int64
	MaxUsersPerCompany int64
	MaxTotalUsers      *int64 // nil: none
}

// LimitsFunc reads the limits in force. A write calls it once it holds its
// lock, so a plan change that committed while the write waited is the one it obeys.
type LimitsFunc func(ctx context.Context) (Limits, error)

// CreateCompany adds a company unless the tenant has its plan's companies already.
func CreateCompany(ctx context.Context, pool *pgxpool.Pool, code, name string, limits LimitsFunc) (Company, error) {
	var c Company
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockCompanies); err != nil {
			return err
		}
		l, err := limits(ctx)
		if err != nil {
			return err
		}
		max := l.MaxCompanies
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM companies`).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return &LimitError{Limit: "max_companies", Used: n, Allowed: max}
		}
		rows, err := tx.Query(ctx, `INSERT INTO companies (code, name) VALUES ($1, $2) RETURNING id, code, name, is_default, created_at`, code, name)
		if err != nil {
			return err
		}
		c, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Company])
		return duplicate(err)
	})
	return c, err
}

// DeleteCompany removes a company with its users and transactions; the
// default company stays.
func DeleteCompany(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) error {
	tag, err := pool.Exec(ctx, `DELETE FROM companies WHERE id = $1 AND NOT is_default`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// ListUsers lists a company's users.
func ListUsers(ctx context.Context, pool *pgxpool.Pool, companyID uuid.UUID) ([]User, error) {
	if _, err := GetCompany(ctx, pool, companyID); err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE company_id = $1 ORDER BY created_at, id`, companyID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[User])
}

// CreateUser adds a user to a company unless the company has its plan's
// users per company or the tenant its total users (when limited).
func CreateUser(ctx context.Context, pool *pgxpool.Pool, companyID uuid.UUID, email, name string, limits LimitsFunc) (User, error) {
	var u User
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockUsers); err != nil {
			return err
		}
		l, err := limits(ctx)
		if err != nil {
			return err
		}
		maxPerCompany, maxTotal := l.MaxUsersPerCompany, l.MaxTotalUsers
		var exists bool
		var inCompany, total int64
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM companies WHERE id = $1),
			(SELECT count(*) FROM users WHERE company_id = $1), (SELECT count(*) FROM users)`, companyID).Scan(&exists, &inCompany, &total)
		switch {
		case err != nil:
			return err
		case !exists:
			return ErrNotFound
		case inCompany >= maxPerCompany:
			return &LimitError{Limit: "max_users_per_company", Used: inCompany, Allowed: maxPerCompany}
		case maxTotal != nil && total >= *maxTotal:
			return &LimitError{Limit: "max_total_users", Used: total, Allowed: *maxTotal}
		}
		rows, err := tx.Query(ctx, `INSERT INTO users (company_id, email, name) VALUES ($1, $2, $3)
			RETURNING `+userColumns, companyID, email, name)
		if err != nil {
			return err
		}
		u, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[User])
		return duplicate(err)
	})
	return u, err
}

// DeleteUser removes a user; the admin users stay.
func DeleteUser(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) error {
	tag, err := pool.Exec(ctx, `DELETE FROM users WHERE id = $1 AND role <> 'admin'`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// PostTransaction records a transaction unless the month (UTC, of now) has had
// max already. One statement, so one round trip and its own transaction: the
// month's counter is taken inside take_transaction (the only way the tenant's
// role may touch it) with one conditional update, so concurrent posts cannot
// overshoot, and only for a company that exists; the row is inserted only if
// the counter was taken. A new month starts from zero.
func PostTransaction(ctx context.Context, pool *pgxpool.Pool, companyID uuid.UUID, amountCents int64, memo string, now time.Time, max int64) (Transaction, error) {
	month := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	rows, err := pool.Query(ctx, PostTransactionSQL, month, max, companyID, amountCents, memo, now)
	if err != nil {
		return Transaction{}, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Transaction])
	if !errors.Is(err, pgx.ErrNoRows) {
		return t, err
	}
	// Nothing inserted: no such company, or the month's limit was reached.
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM companies WHERE id = $1)`, companyID).Scan(&exists); err != nil {
		return Transaction{}, err
	}
	if !exists {
		return Transaction{}, ErrNotFound
	}
	return Transaction{}, &LimitError{Limit: "max_transactions_per_month", Used: max, Allowed: max}
}

// PostTransactionSQL is the statement PostTransaction sends ($1 month, $2 limit,
// $3 company, $4 amount, $5 memo, $6 posted at); the benchmark's floor sends it too.
const PostTransactionSQL = `
	WITH taken AS (
		SELECT take_transaction($1, $2) AS used
		WHERE EXISTS (SELECT 1 FROM companies WHERE id = $3))
	INSERT INTO transactions (company_id, amount_cents, memo, posted_at)
	SELECT $3, $4, $5, $6 FROM taken WHERE used IS NOT NULL
	RETURNING id, company_id, amount_cents, memo, posted_at`

// TenantUsage is what a tenant uses, for the usage API and snapshots.
type TenantUsage struct {
	Companies          int64            `json:"companies"`
	Users              int64            `json:"users"`
	UsersPerCompany    map[string]int64 `json:"users_per_company"`
	TransactionsMonth  int64            `json:"transactions_this_month"`
	StorageBytes       int64            `json:"storage_bytes"`
	MaxUsersInACompany int64            `json:"-"`
	TransactionsToday  int64            `json:"-"` // since midnight UTC
	TransactionsBefore int64            `json:"-"` // in the 30 days before today
}

// querier is a pool or a single connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Measure reads a tenant's usage in the month (and day) of now.
func Measure(ctx context.Context, pool querier, now time.Time) (TenantUsage, error) {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	u := TenantUsage{UsersPerCompany: map[string]int64{}}
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM users),
		COALESCE((SELECT transactions FROM usage_counters WHERE month = $1), 0), pg_database_size(current_database()),
		(SELECT count(*) FROM transactions WHERE posted_at >= $2),
		(SELECT count(*) FROM transactions WHERE posted_at >= $2 - interval '30 days' AND posted_at < $2)`, month, today).
		Scan(&u.Companies, &u.Users, &u.TransactionsMonth, &u.StorageBytes, &u.TransactionsToday, &u.TransactionsBefore)
	if err != nil {
		return u, err
	}
	rows, err := pool.Query(ctx, `SELECT c.id::text, count(u.id) FROM companies c LEFT JOIN users u ON u.company_id = c.id GROUP BY c.id`)
	if err != nil {
		return u, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return u, err
		}
		u.UsersPerCompany[id] = n
		u.MaxUsersInACompany = max(u.MaxUsersInACompany, n)
	}
	return u, rows.Err()
}

func duplicate(err error) error {
	if pgCode(err) == "23505" {
		return ErrDuplicate
	}
	return err
}

// Unreachable reports whether err means the tenant database cannot be reached
// (down, dropped, refusing connections) rather than a problem with the request.
func Unreachable(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.Timeout(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	code := pgCode(err)
	if code == "" {
		var pgErr *pgconn.PgError
		return !errors.As(err, &pgErr) && strings.Contains(err.Error(), "conn closed")
	}
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57") || code == "3D000"
}

// MeasureAsAdmin measures a tenant database over a short administrator connection (sweeps).
func (s *Servers) MeasureAsAdmin(ctx context.Context, srv Server, name string, now time.Time) (TenantUsage, error) {
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return TenantUsage{}, fmt.Errorf("connect to %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return Measure(ctx, conn, now)
}
