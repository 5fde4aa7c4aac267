package httperr

import (
	"errors"
	"fmt"
	"net/http"
)

// TooLarge returns the 413 answer when err comes from a body limit
// (http.MaxBytesReader) cutting the request off, and nil otherwise. The reader
// stopped at the limit, so nothing past it was read.
func TooLarge(err error) *HTTPError {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		return nil
	}
	return &HTTPError{Key: "error.too_large", Status: http.StatusRequestEntityTooLarge, Title: "Request too large",
		Code: "body_too_large", Message: fmt.Sprintf("The request body is larger than the %d bytes this page accepts.", mbe.Limit), Err: err}
}

// ReadForm parses r's form with its body cut off at limit bytes: the 413 of TooLarge
// past the limit, a 400 (code bad_form) naming what for a form that cannot be read.
func ReadForm(w http.ResponseWriter, r *http.Request, limit int64, what string) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		if he := TooLarge(err); he != nil {
			return he
		}
		return &HTTPError{Status: http.StatusBadRequest, Title: "Bad request", Code: "bad_form",
			Message: "The " + what + " could not be read.", Err: err}
	}
	return nil
}
