package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
)

// APIError is an error the API answers with {"error":{code,message,details}}.
type APIError struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func invalidInput(msg string, details map[string]any) *APIError {
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Message: msg, Details: details}
}

func invalidFields(fields map[string]string) *APIError {
	d := make(map[string]any, len(fields))
	for k, v := range fields {
		d[k] = v
	}
	return invalidInput("the request has invalid fields", d)
}

func notFound(what string) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

func conflict(msg string) *APIError {
	return &APIError{Status: http.StatusConflict, Code: "conflict", Message: msg}
}

func unauthorized(msg string) *APIError {
	return &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg}
}

func forbidden(msg string) *APIError {
	return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

func rateLimited(msg string) *APIError {
	return &APIError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: msg}
}

func unavailable(msg string) *APIError {
	return &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: msg}
}

// errorHandler is the one place errors become JSON bodies.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var apiErr *APIError
		var httpErr *echo.HTTPError
		switch {
		case errors.As(err, &apiErr):
		case errors.Is(err, db.ErrNotFound):
			apiErr = notFound("resource")
		case errors.As(err, &httpErr):
			apiErr = fromHTTPError(httpErr)
		default:
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "error", err)
			apiErr = &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
		}
		body := map[string]*APIError{"error": apiErr}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(apiErr.Status)
		} else {
			err = c.JSON(apiErr.Status, body)
		}
		if err != nil {
			log.Error("write error response", "error", err)
		}
	}
}

func fromHTTPError(e *echo.HTTPError) *APIError {
	msg := http.StatusText(e.Code)
	switch e.Code {
	case http.StatusNotFound:
		return notFound("route")
	case http.StatusMethodNotAllowed:
		return &APIError{Status: e.Code, Code: "method_not_allowed", Message: msg}
	case http.StatusRequestEntityTooLarge:
		return invalidInput("request body is too large", nil)
	case http.StatusUnauthorized:
		return unauthorized(msg)
	case http.StatusTooManyRequests:
		return rateLimited(msg)
	}
	if e.Code >= 500 {
		return &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	return invalidInput(fmt.Sprint(e.Message), nil)
}
