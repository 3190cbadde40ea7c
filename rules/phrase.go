package rules

import "errors"

// CheckPhrase reports why the engine cannot match phrase as a topic's
// phrase, in words for whoever typed it (a chat mute or follow), or nil.
func CheckPhrase(phrase string) error {
	if msg := checkPhrase(phrase); msg != "" {
		return errors.New(msg)
	}
	return nil
}
