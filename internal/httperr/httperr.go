// Package httperr is the one error path of the gateway's handlers: a handler returns
// an error, the adapter logs it once and renders it once, as an HTML page for
// browsers and as JSON for everything else, with the request's ID in both.
package httperr

import (
	"log/slog"
	"net/http"
	"strings"
)

// HTTPError is a handler's failure as the user should see it. Err is the internal
// cause: logged, never shown.
type HTTPError struct {
	// Key names the page's title and message in the web string tables (Key+".title",
	// Key+".message"), so the page follows the browser's language; Title and Message
	// stay the English text for the log line and the JSON body.
	Key        string
	Status     int
	Title      string
	Message    string // for the user, in plain words
	Detail     string // optional, e.g. the IdP's own error description
	IdPCode    string // optional: the IdP's error code, shown in small print with Detail
	RetryURL   string
	RetryAfter int // seconds; sets Retry-After when > 0
	Code       string
	Err        error
	// Log is the message of the one log line about the error; "" means Message.
	Log string
	// Attrs are added to that log line (e.g. the user a refusal was about).
	Attrs []slog.Attr
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *HTTPError) Unwrap() error { return e.Err }

// JSONCode is the "error" member of the JSON body: Code, or the status text in
// snake case.
func (e *HTTPError) JSONCode() string {
	if e.Code != "" {
		return e.Code
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(e.Status), " ", "_"))
}

// Internal is the error shown for a failure that is not an *HTTPError.
func Internal(err error) *HTTPError {
	return &HTTPError{Key: "error.internal", Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "The gateway hit an unexpected error.", Err: err}
}
