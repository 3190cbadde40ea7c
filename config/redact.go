package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Redacted is the effective config as YAML, defaults filled in and secrets
// shown as [redacted], for `check-config --print` and support requests.
func (c *Config) Redacted() string {
	var b bytes.Buffer
	if c.File != "" {
		fmt.Fprintf(&b, "# effective configuration of %s (defaults filled in, secrets redacted)\n", c.File)
	} else {
		b.WriteString("# effective configuration (defaults, secrets redacted)\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Only a type yaml.v3 cannot encode gets here, which would be a bug
		// in this package; say so rather than print half a config.
		return fmt.Sprintf("# cannot print the configuration: %v\n", err)
	}
	enc.Close()
	return b.String()
}
