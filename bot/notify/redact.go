package notify

import "strings"

// Redact returns err with every secret in its message replaced by what mask
// returns for it, keeping the chain for errors.Is and errors.As. Chat
// libraries sometimes quote requests in errors; this keeps tokens out of logs
// and the status command whatever they quote.
func Redact(err error, secrets []string, mask func(secret string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, mask(s))
		}
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
