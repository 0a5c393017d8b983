package tenantdb

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// tablesInOrder are the tenant database's tables (public schema, without
// goose's bookkeeping), each after the tables its foreign keys point to.
func tablesInOrder(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT c.relname::text,
		coalesce(array_agg(DISTINCT f.relname::text) FILTER (WHERE f.relname IS NOT NULL AND f.oid <> c.oid), '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
		LEFT JOIN pg_class f ON f.oid = k.confrelid
		WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
		GROUP BY c.relname ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	var names []string
	for rows.Next() {
		var name string
		var refs []string
		if err := rows.Scan(&name, &refs); err != nil {
			return nil, err
		}
		names, deps[name] = append(names, name), refs
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var order []string
	for len(order) < len(names) {
		progressed := false
		for _, n := range names {
			if slices.Contains(order, n) {
				continue
			}
			if !slices.ContainsFunc(deps[n], func(d string) bool { return slices.Contains(names, d) && !slices.Contains(order, d) }) {
				order, progressed = append(order, n), true
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the tenant tables' foreign keys form a cycle")
		}
	}
	return order, nil
}

// CopyTenant copies every row of the tenant database name on from into the
// database of that name on to, which holds the same schema (same version)
// and is closed to the tenant: table by table with COPY, in foreign-key order,
// in one transaction on to that first empties it (so a retried copy starts
// over), then the sequences' values. It returns the rows copied.
func (s *Servers) CopyTenant(ctx context.Context, from, to Server, name string) (int64, error) {
	src, err := s.Connect(ctx, from, name)
	if err != nil {
		return 0, fmt.Errorf("connect to %s on %s: %w", name, from.Host, err)
	}
	defer src.Close(context.WithoutCancel(ctx))
	dst, err := s.Connect(ctx, to, name)
	if err != nil {
		return 0, fmt.Errorf("connect to %s on %s: %w", name, to.Host, err)
	}
	defer dst.Close(context.WithoutCancel(ctx))
	tables, err := tablesInOrder(ctx, src)
	if err != nil {
		return 0, err
	}
	// A consistent picture of the source (it is closed to the tenant anyway).
	if _, err := src.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return 0, err
	}
	defer src.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	tx, err := dst.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = "public." + ident(t)
	}
	if len(quoted) > 0 {
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(quoted, ", ")+" CASCADE"); err != nil {
			return 0, fmt.Errorf("empty the copy: %w", err)
		}
	}
	var rows int64
	for _, t := range quoted {
		r, w := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := src.PgConn().CopyTo(ctx, w, "COPY "+t+" TO STDOUT (FORMAT binary)")
			w.CloseWithError(err)
			done <- err
		}()
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, r, "COPY "+t+" FROM STDIN (FORMAT binary)")
		r.CloseWithError(err)
		if srcErr := <-done; srcErr != nil {
			return 0, fmt.Errorf("read %s: %w", t, srcErr)
		}
		if err != nil {
			return 0, fmt.Errorf("write %s: %w", t, err)
		}
		rows += tag.RowsAffected()
	}
	seqs, err := src.Query(ctx, `SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL`)
	if err != nil {
		return 0, err
	}
	type seq struct {
		name string
		last int64
	}
	values, err := pgx.CollectRows(seqs, func(r pgx.CollectableRow) (seq, error) {
		var s seq
		return s, r.Scan(&s.name, &s.last)
	})
	if err != nil {
		return 0, err
	}
	for _, v := range values {
		if _, err := tx.Exec(ctx, "SELECT setval($1::regclass, $2)", v.name, v.last); err != nil {
			return 0, fmt.Errorf("set sequence %s: %w", v.name, err)
		}
	}
	return rows, tx.Commit(ctx)
}

// Fingerprint is, for each table of the tenant database name, its row count
// and an MD5 over its rows in order: two copies with equal fingerprints hold
// the same data.
func (s *Servers) Fingerprint(ctx context.Context, srv Server, name string) (map[string]string, error) {
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return nil, fmt.Errorf("connect to %s on %s: %w", name, srv.Host, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tables, err := tablesInOrder(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range tables {
		var n int64
		var sum string
		q := "SELECT count(*), coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text)), '') FROM public." + ident(t) + " r"
		if err := conn.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
			return nil, fmt.Errorf("fingerprint %s: %w", t, err)
		}
		out[t] = fmt.Sprintf("%d rows, md5 %s", n, sum)
	}
	return out, nil
}

// CanPublish reports whether srv can be the source of logical replication
// (wal_level = logical).
func (s *Servers) CanPublish(ctx context.Context, srv Server) (bool, error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return false, err
	}
	var level string
	if err := pool.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		return false, err
	}
	return level == "logical", nil
}

// replicationName names a move's publication, subscription and slot (one
// move of a tenant at a time).
func replicationName(name string) string {
	return "landlord_move_" + strings.TrimPrefix(name, "tenant_")
}

// StartReplication publishes the tenant database name's tables on from and
// subscribes to them from the (empty) copy on to, and waits until the initial
// copy of every table is done; from then on to follows from's writes. The
// server to connects to from as landlord does, encrypted when landlord's
// login to from is (sslmode=require: the database server has no copy of
// landlord's CA to verify with).
func (s *Servers) StartReplication(ctx context.Context, from, to Server, name string) error {
	src, err := s.Connect(ctx, from, name)
	if err != nil {
		return err
	}
	defer src.Close(context.WithoutCancel(ctx))
	tables, err := tablesInOrder(ctx, src)
	if err != nil {
		return err
	}
	rn := replicationName(name)
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = "public." + ident(t)
	}
	if _, err := src.Exec(ctx, "DROP PUBLICATION IF EXISTS "+ident(rn)); err != nil {
		return err
	}
	if _, err := src.Exec(ctx, "CREATE PUBLICATION "+ident(rn)+" FOR TABLE "+strings.Join(quoted, ", ")); err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	dst, err := s.Connect(ctx, to, name)
	if err != nil {
		return err
	}
	defer dst.Close(context.WithoutCancel(ctx))
	if err := dropSubscription(ctx, dst, rn); err != nil {
		return err
	}
	if _, err := dst.Exec(ctx, "TRUNCATE "+strings.Join(quoted, ", ")+" CASCADE"); err != nil {
		return fmt.Errorf("empty the copy: %w", err)
	}
	cfg, err := s.ConnConfig(ctx, from, name)
	if err != nil {
		return err
	}
	sslmode := "disable"
	if cfg.TLSConfig != nil {
		sslmode = "require"
	}
	conninfo := fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s sslmode=%s", cfg.Host, cfg.Port, name,
		quoteConninfo(cfg.User), quoteConninfo(cfg.Password), sslmode)
	if _, err := dst.Exec(ctx, "CREATE SUBSCRIPTION "+ident(rn)+" CONNECTION "+literal(conninfo)+" PUBLICATION "+ident(rn)+
		" WITH (copy_data = true)"); err != nil {
		return fmt.Errorf("subscribe %s on %s to %s: %w", name, to.Host, from.Host, err)
	}
	for {
		var pending int
		if err := dst.QueryRow(ctx, `SELECT count(*) FILTER (WHERE r.srsubstate NOT IN ('r', 's')) + $2::int - count(*)
			FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid WHERE s.subname = $1`, rn, len(tables)).Scan(&pending); err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StopReplication drops a move's subscription (and with it the slot on the
// source) and its publication; running it again changes nothing more.
func (s *Servers) StopReplication(ctx context.Context, from, to Server, name string) error {
	rn := replicationName(name)
	if dst, err := s.Connect(ctx, to, name); err == nil {
		err = dropSubscription(ctx, dst, rn)
		dst.Close(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
	} else if pgCode(err) != "3D000" { // no such database: the copy is gone already
		return err
	}
	src, err := s.Connect(ctx, from, name)
	if err != nil {
		return err
	}
	defer src.Close(context.WithoutCancel(ctx))
	_, err = src.Exec(ctx, "DROP PUBLICATION IF EXISTS "+ident(rn))
	return err
}

func dropSubscription(ctx context.Context, conn *pgx.Conn, rn string) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_subscription WHERE subname = $1)`, rn).Scan(&exists); err != nil || !exists {
		return err
	}
	for _, stmt := range []string{"ALTER SUBSCRIPTION " + ident(rn) + " DISABLE", "DROP SUBSCRIPTION " + ident(rn)} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("drop subscription %s: %w", rn, err)
		}
	}
	return nil
}

// quoteConninfo quotes a libpq connection string value.
func quoteConninfo(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
