package config

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Delivery tunes how alerts are delivered.
type Delivery struct {
	// HoldFor is how long alerts wait for the bot to be invited to a Slack
	// channel or Matrix room that refuses it as not a member, before they
	// are given up. They go out in order as soon as the bot is let in.
	HoldFor time.Duration `yaml:"hold_for" json:"hold_for"`
}

// DefaultHoldFor gives people a week to invite the bot.
const DefaultHoldFor = 7 * 24 * time.Hour

const (
	minHoldFor = time.Hour
	maxHoldFor = 365 * 24 * time.Hour
)

func (p *parser) delivery(d *Delivery, n *yaml.Node, path string) {
	p.section(n, path, field{"hold_for", p.days(&d.HoldFor)})
}

// days reads a duration that may also be written in days ("7d"), which is
// how people think of a hold of a week.
func (p *parser) days(dst *time.Duration) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, false)
		if !ok || v == "" {
			return
		}
		v = strings.TrimSpace(v)
		if num, ok := strings.CutSuffix(v, "d"); ok {
			if days, err := strconv.Atoi(num); err == nil && days >= 0 && days <= 100000 {
				*dst = time.Duration(days) * 24 * time.Hour
				return
			}
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			p.problem(n.Line, path, "%q is not a duration; write a number of days or hours, e.g. 7d or 36h", v)
			return
		}
		*dst = d
	}
}

func (p *parser) checkDelivery(c *Config) {
	if h := c.Delivery.HoldFor; h < minHoldFor || h > maxHoldFor {
		p.bad("delivery.hold_for", "%s is out of range; use between 1h and 365d (the default is 7d): how long alerts wait for the bot to be invited to a channel or room before they are given up", h)
	}
}
