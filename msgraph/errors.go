package msgraph

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is a refusal from Microsoft Graph, with Graph's own code
// (Authorization_RequestDenied, InvalidAuthenticationToken, …).
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("Microsoft Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Denied reports whether Graph refused for lack of permission or consent, as opposed
// to being unavailable: the operator has to grant something.
func (e *Error) Denied() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

func newError(status int, body []byte) *Error {
	var doc struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &doc) // a body that is not Graph's error shape still has a status
	e := &Error{Status: status, Code: doc.Error.Code, Message: doc.Error.Message}
	if e.Code == "" {
		e.Code = http.StatusText(status)
	}
	if len(e.Message) > 200 {
		e.Message = e.Message[:200]
	}
	return e
}
