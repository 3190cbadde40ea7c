package config

import "github.com/ituwatch/ituwatch/model"

// DigestPlans lists the digests the routes ask for, one per destination: the
// first route that gives a destination a digest sets its schedule.
func (c *Config) DigestPlans() []model.DigestPlan {
	var out []model.DigestPlan
	seen := map[string]bool{}
	for _, r := range c.Routes {
		if r.Digest == nil {
			continue
		}
		for _, d := range r.To {
			if k := d.String(); !seen[k] {
				seen[k] = true
				out = append(out, model.DigestPlan{Destination: k, Schedule: r.Digest.Schedule, Timezone: r.Digest.Timezone})
			}
		}
	}
	return out
}
