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
