// Package erp is an example ERP service built only on landlord's tenancy
// kit: a few endpoints of the finance module's general ledger, each request
// served from the database of the tenant its Host names, as the user its
// access token names.
//
//	GET  /api/accounts             the chart of accounts
//	GET  /api/journal-entries      the user's company's entries, newest first
//	POST /api/journal-entries      post a balanced entry (a metered transaction)
//	GET  /api/journal-entries/{id} one entry with its lines
//
// Every /api request passes the kit's Echo middleware (the tenant, from the
// Host: 404 for no tenant, 403 for a suspended one, its plan's API calls an
// hour counted) and EchoUser (a valid access token of that tenant).
package erp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/tenancy"
)

// Account is a general-ledger account.
type Account struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Line is one debit or credit of an entry.
type Line struct {
	Account     string `json:"account"`
	DebitCents  int64  `json:"debit_cents"`
	CreditCents int64  `json:"credit_cents"`
}

// Entry is a journal entry.
type Entry struct {
	ID        uuid.UUID `json:"id"`
	CompanyID uuid.UUID `json:"company_id"`
	Date      string    `json:"date"` // YYYY-MM-DD
	Memo      string    `json:"memo"`
	PostedBy  uuid.UUID `json:"posted_by"`
	CreatedAt time.Time `json:"created_at"`
	Lines     []Line    `json:"lines,omitempty"`
}

type service struct {
	kit *tenancy.Resolver
	now func() time.Time
}

// New is the service's routes on the kit's Resolver (Run it beside).
func New(kit *tenancy.Resolver) *echo.Echo {
	s := &service{kit: kit, now: time.Now}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		var he *echo.HTTPError
		status, code, msg := http.StatusInternalServerError, "internal", "internal error"
		if errors.As(err, &he) {
			status, code, msg = he.Code, strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"), fmt.Sprint(he.Message)
		} else {
			c.Logger().Error(err)
		}
		if !c.Response().Committed {
			_ = c.JSON(status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
		}
	}
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	api := e.Group("/api", kit.Echo(), kit.EchoUser())
	api.GET("/accounts", s.accounts)
	api.GET("/journal-entries", s.entries)
	api.POST("/journal-entries", s.post)
	api.GET("/journal-entries/:id", s.entry)
	return e
}

// scope is a request's tenant, user and a pool on the tenant's database.
func (s *service) scope(c echo.Context) (*tenancy.Tenant, *tenancy.User, *pgxpool.Pool, error) {
	ctx := c.Request().Context()
	t, _ := tenancy.FromContext(ctx)
	u, _ := tenancy.UserFromContext(ctx)
	pool, err := s.kit.Pool(ctx, t)
	if err != nil {
		return nil, nil, nil, err
	}
	return t, u, pool, nil
}

func (s *service) accounts(c echo.Context) error {
	_, _, pool, err := s.scope(c)
	if err != nil {
		return err
	}
	rows, _ := pool.Query(c.Request().Context(), `SELECT code, name, type FROM gl_accounts ORDER BY code`)
	accounts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Account])
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"accounts": accounts})
}

// entries are the 100 newest entries of the user's company.
func (s *service) entries(c echo.Context) error {
	_, u, pool, err := s.scope(c)
	if err != nil {
		return err
	}
	rows, _ := pool.Query(c.Request().Context(), `SELECT id, company_id, to_char(entry_date, 'YYYY-MM-DD'), memo, posted_by, created_at
		FROM gl_journal_entries WHERE company_id = $1 ORDER BY entry_date DESC, created_at DESC LIMIT 100`, u.CompanyID)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		return e, r.Scan(&e.ID, &e.CompanyID, &e.Date, &e.Memo, &e.PostedBy, &e.CreatedAt)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": list})
}

func (s *service) entry(c echo.Context) error {
	_, u, pool, err := s.scope(c)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such entry")
	}
	e, err := load(c.Request().Context(), pool, u.CompanyID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// querier is a pool or a transaction.
type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

// load is one entry of company with its lines; another company's is not found.
func load(ctx context.Context, q querier, company string, id uuid.UUID) (Entry, error) {
	var e Entry
	err := q.QueryRow(ctx, `SELECT id, company_id, to_char(entry_date, 'YYYY-MM-DD'), memo, posted_by, created_at
		FROM gl_journal_entries WHERE id = $1 AND company_id = $2`, id, company).
		Scan(&e.ID, &e.CompanyID, &e.Date, &e.Memo, &e.PostedBy, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, echo.NewHTTPError(http.StatusNotFound, "no such entry")
	}
	if err != nil {
		return Entry{}, err
	}
	rows, _ := q.Query(ctx, `SELECT account_code, debit_cents, credit_cents FROM gl_journal_lines WHERE entry_id = $1 ORDER BY line_no`, id)
	e.Lines, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Line])
	return e, err
}

type postRequest struct {
	Date  string `json:"date"`
	Memo  string `json:"memo"`
	Lines []Line `json:"lines"`
}

// post writes a balanced entry for the user's company and takes one of the
// plan's transactions this month for it, in one transaction of the tenant's
// database: over the limit, nothing is written (403). With an
// Idempotency-Key header, a retry answers the entry the first request
// posted, and is not counted again.
func (s *service) post(c echo.Context) error {
	t, u, pool, err := s.scope(c)
	if err != nil {
		return err
	}
	var req postRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if problem := req.problem(); problem != "" {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, problem)
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if len(key) > 100 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Idempotency-Key: at most 100 characters")
	}
	ctx := c.Request().Context()
	var posted Entry
	status := http.StatusCreated
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO gl_journal_entries (company_id, entry_date, memo, posted_by, idempotency_key)
			VALUES ($1, $2, $3, $4, nullif($5, '')) ON CONFLICT (company_id, idempotency_key) DO NOTHING RETURNING id`,
			u.CompanyID, req.Date, req.Memo, u.ID, key).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) { // posted before under this key
			status = http.StatusOK
			if err := tx.QueryRow(ctx, `SELECT id FROM gl_journal_entries WHERE company_id = $1 AND idempotency_key = $2`, u.CompanyID, key).Scan(&id); err != nil {
				return err
			}
			posted, err = load(ctx, tx, u.CompanyID, id)
			return err
		}
		if err != nil {
			return err
		}
		if err := tenancy.TakeTransaction(ctx, tx, t, s.now()); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for i, l := range req.Lines {
			b.Queue(`INSERT INTO gl_journal_lines (entry_id, line_no, account_code, debit_cents, credit_cents) VALUES ($1, $2, $3, $4, $5)`,
				id, i+1, l.Account, l.DebitCents, l.CreditCents)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		posted, err = load(ctx, tx, u.CompanyID, id)
		return err
	})
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, tenancy.ErrTransactionLimit):
		return c.JSON(http.StatusForbidden, map[string]any{"error": map[string]any{"code": "limit_exceeded",
			"message": "the plan's transactions this month are used up", "limit": t.Plan.Limits.MaxTransactionsPerMonth}})
	case errors.As(err, &pgErr) && pgErr.Code == "23503": // foreign key: an account that does not exist
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "lines: an account is not in the chart of accounts")
	case err != nil:
		return err
	}
	return c.JSON(status, posted)
}

// problem says what is wrong with an entry, or "".
func (r postRequest) problem() string {
	if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
		return "date: must be YYYY-MM-DD"
	}
	if len(r.Memo) > 500 {
		return "memo: at most 500 bytes"
	}
	if len(r.Lines) < 2 || len(r.Lines) > 100 {
		return "lines: 2 to 100"
	}
	var debits, credits int64
	for _, l := range r.Lines {
		if (l.DebitCents > 0) == (l.CreditCents > 0) || l.DebitCents < 0 || l.CreditCents < 0 || l.DebitCents > 1e12 || l.CreditCents > 1e12 {
			return "lines: each is a debit or a credit, positive, at most 10^12 cents"
		}
		debits += l.DebitCents
		credits += l.CreditCents
	}
	if debits != credits {
		return fmt.Sprintf("lines: debits (%d) and credits (%d) must be equal", debits, credits)
	}
	return ""
}
