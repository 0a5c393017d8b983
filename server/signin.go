package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/signin"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// End-user sign-in: the ERP's users sign in on their tenant's host (the
// tenant is the Host's), get a short access token that any ERP service
// verifies with the published keys, and a refresh token that rotates.

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type setPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

type resetRequest struct {
	Email string `json:"email"`
}

// signedIn is what a sign-in or a refresh answers.
type signedIn struct {
	AccessToken  string       `json:"access_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    int          `json:"expires_in"`
	RefreshToken string       `json:"refresh_token"`
	SessionID    uuid.UUID    `json:"session_id"`
	User         signedInUser `json:"user"`
}

type signedInUser struct {
	ID        uuid.UUID `json:"id"`
	CompanyID uuid.UUID `json:"company_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
}

// Why a session ended.
const (
	revokedLogout          = "signed out"
	revokedReuse           = "a rotated refresh token was presented again"
	revokedPasswordChanged = "the password changed"
	revokedUserRemoved     = "the user was removed"
)

// signInTenant is the tenant whose host the request came to; 404 for a host
// that is no tenant's, 403 for a tenant that may not be served now. The
// request is counted against its address's bound (limitAddress).
func (s *Server) signInTenant(c echo.Context) (db.TenantResolveRow, error) {
	sub, err := s.subdomainOf(c.Request().Host, "")
	if err != nil {
		return db.TenantResolveRow{}, err
	}
	t, err := s.q.TenantResolve(c.Request().Context(), sub)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return t, notFound("tenant")
	}
	if err != nil {
		return t, err
	}
	if !t.Status.IsLive() {
		return t, &APIError{Status: http.StatusForbidden, Code: "tenant_suspended", Message: "this ERP is " + string(t.Status)}
	}
	return t, s.limitAddress(c)
}

// limitAddress counts a sign-in, refresh or reset request against its
// address's budget: 429 with Retry-After past it.
func (s *Server) limitAddress(c echo.Context) error {
	d, err := s.limiter.Allow(c.Request().Context(), "sign-in-address:"+c.RealIP(), s.signInsPerAddress)
	if err != nil {
		return err
	}
	if !d.Allowed {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.RetryAfter.Seconds()))))
		return rateLimited("too many sign-in requests from this address; try again later")
	}
	return nil
}

// login is POST /v1/auth/login on a tenant's host. A wrong password and an
// unknown email get the same answer after the same work (an argon2id hash
// either way); failures in a row of one account (known or not) make it wait
// longer and longer (signin.FailureDelay): 429 with Retry-After meanwhile.
// One try of an account is checked at a time; another sent beside it is 429.
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	bad := map[string]string{}
	if email == "" || len(email) > 320 {
		bad["email"] = "is required, at most 320 bytes"
	}
	if req.Password == "" || len(req.Password) > signin.MaxPassword {
		bad["password"] = "is required, at most 256 bytes"
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	t, err := s.signInTenant(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var cred tenantdb.Credentials
	var tc tenantCtx
	var ok, rehash bool
	err = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		// One try of an account at a time: guesses sent side by side would
		// all pass a delay none of them has recorded yet.
		free, err := q.SignInAccountTryLock(ctx, db.SignInAccountTryLockParams{TenantID: t.ID, Email: email})
		if err != nil {
			return err
		}
		if !free {
			metrics.SignIns.WithLabelValues("account_busy").Inc()
			c.Response().Header().Set("Retry-After", "1")
			return rateLimited("a sign-in of this account is being checked; try again in a moment")
		}
		if f, err := q.SignInFailureGet(ctx, db.SignInFailureGetParams{TenantID: t.ID, Email: email}); err == nil {
			if wait := time.Until(f.LastFailedAt.Add(signin.FailureDelay(int(f.Failures)))); wait > 0 && time.Since(f.LastFailedAt) < signin.FailureMemory {
				metrics.SignIns.WithLabelValues("account_waiting").Inc()
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return rateLimited("too many failed sign-ins for this account; try again later")
			}
		} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
		tc, err = s.inTenantDB(ctx, t.ID, func(tc tenantCtx) (err error) {
			cred, err = tenantdb.UserByEmail(ctx, tc.pool, email)
			return err
		})
		if err != nil && !errors.Is(err, tenantdb.ErrNotFound) {
			return s.tenantError(c, tc, err)
		}
		if cred.PasswordHash != "" {
			ok, rehash = signin.Verify(cred.PasswordHash, req.Password, s.passwordParams)
		} else {
			signin.VerifyNothing(req.Password, s.passwordParams)
		}
		if !ok { // recorded, and the transaction commits: the answer is below
			_, err := q.SignInFailureRecord(ctx, db.SignInFailureRecordParams{TenantID: t.ID, Email: email,
				ForgetBefore: time.Now().Add(-signin.FailureMemory)})
			return err
		}
		return q.SignInFailureClear(ctx, db.SignInFailureClearParams{TenantID: t.ID, Email: email})
	})
	if err != nil {
		return err
	}
	if !ok {
		metrics.SignIns.WithLabelValues("invalid_credentials").Inc()
		return &APIError{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "the email or the password is wrong"}
	}
	if rehash {
		if err := tenantdb.Rehash(ctx, tc.pool, cred.ID, cred.PasswordHash, signin.Hash(req.Password, s.passwordParams)); err != nil {
			s.log.Warn("password not rehashed; it is again at the next sign-in", "tenant", t.ID, "error", err)
		}
	}
	sess, err := s.q.UserSessionCreate(ctx, db.UserSessionCreateParams{TenantID: t.ID, UserID: cred.ID,
		Address: c.RealIP(), ExpiresAt: time.Now().Add(signin.SessionTTL)})
	if err != nil {
		return err
	}
	answer, err := s.issue(ctx, s.q, t.ID, sess.ID, cred.User)
	if err != nil {
		return err
	}
	metrics.SignIns.WithLabelValues("succeeded").Inc()
	return c.JSON(http.StatusOK, answer)
}

// inTenantDB runs fn on the tenant's database, once more on a new pool
// when the first finds its connections broken (a suspension ended them).
func (s *Server) inTenantDB(ctx context.Context, id uuid.UUID, fn func(tenantCtx) error) (tenantCtx, error) {
	for attempt := 0; ; attempt++ {
		tc, err := s.openTenant(ctx, id)
		if err != nil {
			return tc, err
		}
		err = fn(tc)
		if err == nil || !tenantdb.Unreachable(err) || attempt > 0 {
			return tc, err
		}
		s.pools.Forget(id)
	}
}

// issue signs an access token for user in session and stores a new refresh token of it.
func (s *Server) issue(ctx context.Context, q *db.Queries, tenantID, sessionID uuid.UUID, u tenantdb.User) (signedIn, error) {
	key, _, err := s.keys.current(ctx)
	if err != nil {
		return signedIn{}, err
	}
	now := time.Now()
	access, err := signin.Sign(key, signin.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: signin.Issuer,
		Subject: u.ID.String(), ID: uuid.NewString(), IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(signin.AccessTTL))},
		TenantID: tenantID.String(), CompanyID: u.CompanyID.String(), SessionID: sessionID.String(), Role: u.Role, Email: u.Email})
	if err != nil {
		return signedIn{}, err
	}
	plain, hash := signin.NewSecret()
	if err := q.RefreshTokenInsert(ctx, db.RefreshTokenInsertParams{Sha256: hash, SessionID: sessionID}); err != nil {
		return signedIn{}, err
	}
	return signedIn{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(signin.AccessTTL.Seconds()), RefreshToken: plain,
		SessionID: sessionID, User: signedInUser{ID: u.ID, CompanyID: u.CompanyID, Email: u.Email, Name: u.Name, Role: u.Role}}, nil
}

// refresh is POST /v1/auth/refresh on the tenant's host: a new access token
// and a new refresh token for one not used before (signin.Refresh decides:
// a retry within the grace gets a new pair, a reuse after it revokes the
// session). The user is read again from the tenant's database: a removed
// user's session ends, a moved one's token carries its company now.
func (s *Server) refresh(c echo.Context) error {
	var req refreshRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" || len(req.RefreshToken) > 100 {
		return invalidFields(map[string]string{"refresh_token": "is required"})
	}
	t, err := s.signInTenant(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	signedOut := &APIError{Status: http.StatusUnauthorized, Code: "signed_out", Message: "the session has ended: sign in again"}
	var answer signedIn
	var reused bool
	err = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		r, err := q.RefreshTokenLock(ctx, signin.SecretHash(req.RefreshToken))
		switch {
		case errors.Is(db.NotFound(err), db.ErrNotFound):
			return signedOut
		case err != nil:
			return err
		case r.TenantID != t.ID || r.RevokedAt != nil || time.Now().After(r.ExpiresAt):
			return signedOut
		}
		switch signin.Refresh(r.ReplacedAt, time.Now()) {
		case signin.RefreshReused:
			reused = true
			return q.UserSessionRevoke(ctx, db.UserSessionRevokeParams{ID: r.SessionID, RevokedReason: ptr(revokedReuse)})
		}
		var u tenantdb.Credentials
		_, err = s.inTenantDB(ctx, t.ID, func(tc tenantCtx) (err error) {
			u, err = tenantdb.UserCredentials(ctx, tc.pool, r.UserID)
			return err
		})
		if errors.Is(err, tenantdb.ErrNotFound) {
			reused = true // not reuse, but the session ends all the same
			return q.UserSessionRevoke(ctx, db.UserSessionRevokeParams{ID: r.SessionID, RevokedReason: ptr(revokedUserRemoved)})
		}
		if err != nil {
			return err
		}
		if err := q.RefreshTokenReplaceLive(ctx, r.SessionID); err != nil {
			return err
		}
		answer, err = s.issue(ctx, q, t.ID, r.SessionID, u.User)
		return err
	})
	if err != nil && tenantdb.Unreachable(err) {
		return unavailable("the tenant's database is unavailable; try again shortly")
	}
	if err != nil {
		return err
	}
	if reused {
		return signedOut
	}
	return c.JSON(http.StatusOK, answer)
}

// logout is POST /v1/auth/logout: the refresh token's session ends. It
// answers 204 whatever the token, so it tells nothing.
func (s *Server) logout(c echo.Context) error {
	var req refreshRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		r, err := q.RefreshTokenLock(ctx, signin.SecretHash(req.RefreshToken))
		if err != nil {
			return nil
		}
		return q.UserSessionRevoke(ctx, db.UserSessionRevokeParams{ID: r.SessionID, RevokedReason: ptr(revokedLogout)})
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// setPassword is POST /v1/auth/password: a sign-in link's token (used once,
// before it expires) sets the user's password; every session of the user
// ends and its other links are void.
func (s *Server) setPassword(c echo.Context) error {
	var req setPasswordRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if p := signin.PasswordProblem(req.Password); p != "" {
		return invalidFields(map[string]string{"password": p})
	}
	if err := s.limitAddress(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	invalid := invalidFields(map[string]string{"token": "the link is not valid, was used already or has expired: ask for a new one"})
	hash := signin.Hash(req.Password, s.passwordParams) // before the link is used: it is used once
	var link db.SignInLinkUseRow
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if link, err = q.SignInLinkUse(ctx, signin.SecretHash(req.Token)); err != nil {
			return err
		}
		if _, err := s.inTenantDB(ctx, link.TenantID, func(tc tenantCtx) error {
			return tenantdb.SetPassword(ctx, tc.pool, link.UserID, hash)
		}); err != nil {
			return err
		}
		return s.endUserSessions(ctx, q, link.TenantID, link.UserID, revokedPasswordChanged)
	})
	switch {
	case errors.Is(db.NotFound(err), db.ErrNotFound), errors.Is(err, tenantdb.ErrNotFound):
		return invalid
	case err != nil && tenantdb.Unreachable(err): // the link is not used: its transaction rolled back
		return unavailable("the tenant's database is unavailable; try again shortly")
	case err != nil:
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// endUserSessions revokes a user's sessions and voids its unused links.
func (s *Server) endUserSessions(ctx context.Context, q *db.Queries, tenantID, userID uuid.UUID, reason string) error {
	if _, err := q.UserSessionRevokeUser(ctx, db.UserSessionRevokeUserParams{TenantID: tenantID, UserID: userID, RevokedReason: &reason}); err != nil {
		return err
	}
	return q.SignInLinkVoidUser(ctx, db.SignInLinkVoidUserParams{TenantID: tenantID, UserID: userID})
}

// linkWindow names the 10 minutes now is in: one user is sent at most one
// reset link, or one repeated invitation, in each (the sending workflow's key).
func linkWindow() string { return time.Now().UTC().Truncate(10 * time.Minute).Format("20060102T1504") }

// requestReset is POST /v1/auth/reset on the tenant's host: when the email
// is a user's, a link that sets a new password is sent to it. It answers 202
// either way, so it tells nobody whether the email is a user's.
func (s *Server) requestReset(c echo.Context) error {
	var req resetRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if p := validEmail(email); p != "" {
		return invalidFields(map[string]string{"email": p})
	}
	t, err := s.signInTenant(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	accepted := map[string]string{"status": "accepted", "message": "if the email is a user's, a link to set a new password is on its way"}
	var u tenantdb.Credentials
	tc, err := s.inTenantDB(ctx, t.ID, func(tc tenantCtx) (err error) {
		u, err = tenantdb.UserByEmail(ctx, tc.pool, email)
		return err
	})
	if errors.Is(err, tenantdb.ErrNotFound) {
		return c.JSON(http.StatusAccepted, accepted)
	}
	if err != nil {
		return s.tenantError(c, tc, err)
	}
	if err := s.sendSignInLink(ctx, t.ID, u.User, activities.LinkReset, linkWindow()); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, accepted)
}

// sendSignInLink starts the workflow that emails a user a link setting its
// password; a second start of the same link joins the first.
func (s *Server) sendSignInLink(ctx context.Context, tenantID uuid.UUID, u tenantdb.User, purpose, key string) error {
	in := workflows.SignInLinkInput{TenantID: tenantID, UserID: u.ID, Email: u.Email, Name: u.Name, Purpose: purpose, Key: key}
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SignInLinkWorkflowID(in), TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}, workflows.SignInLink, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // sent before: the same link is not sent twice
	}
	return err
}

// jwks is GET /.well-known/jwks.json: the keys an access token may be signed
// with, the next one among them before it signs, retired ones until their
// tokens have expired. Verifiers may keep it signin.JWKSMaxAge.
func (s *Server) jwks(c echo.Context) error {
	_, published, err := s.keys.current(c.Request().Context())
	if err != nil {
		return err
	}
	set := signin.JWKS{Keys: make([]signin.JWK, 0, len(published))}
	for _, k := range published {
		set.Keys = append(set.Keys, signin.PublicJWK(k))
	}
	c.Response().Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(signin.JWKSMaxAge.Seconds())))
	return c.JSON(http.StatusOK, set)
}

// rotateSigningKey is POST /v1/signing-keys/rotate, for operators: the next
// key signs from now on (409 while it has not been published long enough).
func (s *Server) rotateSigningKey(c echo.Context) error {
	err := RotateSigningKeys(c.Request().Context(), s.pool, s.box, s.keys.lead, true)
	if errors.Is(err, ErrRotateTooSoon) {
		return conflict(err.Error())
	}
	if err != nil {
		return err
	}
	s.keys.forget()
	return s.jwks(c)
}
